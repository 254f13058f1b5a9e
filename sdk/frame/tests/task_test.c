/* In-kernel tests of tasks, timers, interrupts and synchronization, through the public API. */
#include <frame/atomic.h>
#include <frame/console.h>
#include <frame/irq.h>
#include <frame/ktest.h>
#include <frame/mm.h>
#include <frame/sync.h>
#include <frame/task.h>
#include <frame/timer.h>

#define MS 1000000ull

static struct task *spawn(const char *name, task_fn fn, void *arg)
{
	struct task *t = NULL;
	if (task_spawn(&t, name, fn, arg, NULL) != ERR_OK)
		return NULL;
	return t;
}

/* Wait (busy) until the tick has advanced: time passes while the caller keeps the CPU. */
static void spin_one_tick(void)
{
	uint64_t j = jiffies();
	while (jiffies() == j)
		;
}

static int64_t return_arg_plus_one(void *arg)
{
	return (int64_t)(intptr_t)arg + 1;
}

KTEST(task_spawn_join_returns_exit_value)
{
	struct task *t;
	static int data;
	struct task_options opt = {.stack_size = 8192, .data = &data};
	KTEST_ASSERT(task_spawn(&t, "adder", return_arg_plus_one, (void *)41, &opt) == ERR_OK);
	KTEST_EXPECT(task_data(t) == &data);
	KTEST_EXPECT(task_name(t)[0] == 'a');
	KTEST_ASSERT_EQ(task_join(t), 42);
	KTEST_EXPECT(task_name(task_current())[0] == 'm'); /* "main" */
}

static int64_t exit_early(void *arg)
{
	(void)arg;
	task_exit(-7);
}

KTEST(task_exit_hands_its_value_to_join)
{
	struct task *t = spawn("exiter", exit_early, NULL);
	KTEST_ASSERT(t);
	KTEST_ASSERT_EQ(task_join(t), -7);
}

/* --- a mutex keeps a counter exact while the tick preempts its users --------------------------- */

static struct mutex counter_lock = MUTEX_INIT("counter");
static uint64_t counter;
static atomic_t interleavings;
static struct task *last_holder;

#define WORKERS 6
#define ROUNDS 60

static int64_t increment(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&counter_lock);
		if (last_holder && last_holder != task_current())
			atomic_inc(&interleavings);
		last_holder = task_current();
		uint64_t v = counter;
		if (i % 20 == 0)
			spin_one_tick(); /* hold the lock across ticks, so preemption hits inside it */
		counter = v + 1;
		mutex_unlock(&counter_lock);
	}
	return 0;
}

KTEST(mutex_counter_exact_under_preemption)
{
	struct task *t[WORKERS];
	counter = 0;
	for (int i = 0; i < WORKERS; i++)
		KTEST_ASSERT((t[i] = spawn("incrementer", increment, NULL)) != NULL);
	for (int i = 0; i < WORKERS; i++)
		task_join(t[i]);
	KTEST_ASSERT_EQ(counter, WORKERS * ROUNDS);
	KTEST_EXPECT(atomic_load(&interleavings) > 0); /* the workers really did run interleaved */
	KTEST_EXPECT(!mutex_held(&counter_lock));
}

static uint64_t spinner_stop;
static int64_t spin_until_told(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&spinner_stop, __ATOMIC_SEQ_CST))
		;
	return 0;
}

KTEST(a_busy_task_is_preempted_by_the_tick)
{
	spinner_stop = 0;
	struct task *t = spawn("spinner", spin_until_told, NULL);
	KTEST_ASSERT(t);
	task_yield(); /* the spinner never yields: only the tick brings main back */
	__atomic_store_n(&spinner_stop, 1, __ATOMIC_SEQ_CST);
	task_join(t);
}

/* --- wait queues ---------------------------------------------------------------------------- */

static struct wait_queue wq = WAIT_QUEUE_INIT("test");
static volatile bool flag;
static atomic_t woken;

static bool flag_set(void *ctx)
{
	(void)ctx;
	return flag;
}

static int64_t wait_for_flag(void *arg)
{
	enum err e = wait_queue_wait(&wq, flag_set, NULL, arg ? MSEC(20) : FOREVER);
	atomic_inc(&woken);
	return e;
}

KTEST(wait_queue_wakes_waiters)
{
	struct task *t[3];
	flag = false;
	atomic_store(&woken, 0);
	for (int i = 0; i < 3; i++)
		KTEST_ASSERT((t[i] = spawn("waiter", wait_for_flag, NULL)) != NULL);
	task_sleep(MSEC(2));
	KTEST_EXPECT(atomic_load(&woken) == 0);
	KTEST_EXPECT(!wait_queue_wake_one(&wq) || true); /* woken, but the flag is not set: it waits on */
	task_sleep(MSEC(2));
	KTEST_ASSERT_EQ(atomic_load(&woken), 0);
	flag = true;
	KTEST_ASSERT_EQ(wait_queue_wake_all(&wq), 3);
	for (int i = 0; i < 3; i++)
		KTEST_ASSERT_EQ(task_join(t[i]), ERR_OK);
	KTEST_EXPECT(!wait_queue_wake_one(&wq)); /* nobody left */
}

KTEST(wait_queue_times_out)
{
	flag = false;
	uint64_t start = time_now_ns();
	struct task *t = spawn("timed waiter", wait_for_flag, (void *)1);
	KTEST_ASSERT(t);
	KTEST_ASSERT_EQ(task_join(t), ERR_TIMEOUT);
	uint64_t took = time_now_ns() - start;
	KTEST_EXPECT(took >= 20 * MS * 99 / 100);
	KTEST_EXPECT(took < 500 * MS);
	flag = true; /* the condition holding already: no sleep at all */
	KTEST_ASSERT_EQ(wait_queue_wait(&wq, flag_set, NULL, MSEC(1000)), ERR_OK);
}

KTEST(sleep_lasts_as_long_as_asked)
{
	for (int ms = 1; ms <= 30; ms *= 5) {
		uint64_t start = time_now_ns();
		task_sleep(MSEC(ms));
		uint64_t took = time_now_ns() - start;
		console_printf("# task_sleep(MSEC(%d)) took %llu us\n", ms, (unsigned long long)(took / 1000));
		KTEST_EXPECT(took >= (uint64_t)ms * MS * 99 / 100); /* never early (1% for calibration) */
		KTEST_EXPECT(took < (uint64_t)ms * MS + 200 * MS);
	}
}

/* --- timers --------------------------------------------------------------------------------- */

static atomic_t fired;
static void count_firing(struct timer *t, void *ctx)
{
	(void)ctx;
	if (atomic_inc(&fired) == 5)
		timer_cancel(t); /* a periodic timer stops itself */
}

KTEST(timers_one_shot_periodic_and_cancel)
{
	struct timer t = TIMER_INIT(count_firing, NULL);
	atomic_store(&fired, 0);
	timer_start(&t, MSEC(1), NSEC(0));
	task_sleep(MSEC(5));
	KTEST_ASSERT_EQ(atomic_load(&fired), 1);
	KTEST_EXPECT(!timer_pending(&t));

	atomic_store(&fired, 0);
	timer_start(&t, MSEC(2), MSEC(2));
	task_sleep(MSEC(30));
	KTEST_ASSERT_EQ(atomic_load(&fired), 5);
	KTEST_EXPECT(!timer_pending(&t));

	atomic_store(&fired, 0);
	timer_start(&t, MSEC(50), NSEC(0));
	KTEST_EXPECT(timer_cancel(&t));
	task_sleep(MSEC(60));
	KTEST_ASSERT_EQ(atomic_load(&fired), 0);
	KTEST_EXPECT(!timer_cancel(&t));
}

KTEST(jiffies_follow_the_clock)
{
	uint64_t j = jiffies(), t = time_now_ns();
	task_sleep(MSEC(20));
	uint64_t dj = jiffies() - j, dt = (time_now_ns() - t) / MS;
	console_printf("# %llu jiffies in %llu ms (%s)\n", (unsigned long long)dj, (unsigned long long)dt,
		       timer_source());
	KTEST_EXPECT(dj >= 20 && dj <= dt + 2);
}

/* --- semaphores and reader-writer locks ------------------------------------------------------ */

static struct semaphore items = SEMAPHORE_INIT("items", 0);

static int64_t consume_three(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		if (sem_down(&items, SEC(5)) != ERR_OK)
			return -1;
	return sem_down(&items, MSEC(5)); /* a fourth never comes */
}

KTEST(semaphore_counts_and_times_out)
{
	struct task *t = spawn("consumer", consume_three, NULL);
	KTEST_ASSERT(t);
	for (int i = 0; i < 3; i++) {
		task_sleep(MSEC(1));
		sem_up(&items);
	}
	KTEST_ASSERT_EQ(task_join(t), ERR_TIMEOUT);
	sem_up(&items);
	KTEST_EXPECT(sem_trydown(&items));
	KTEST_EXPECT(!sem_trydown(&items));
}

static struct rwlock table = RWLOCK_INIT("table");
static atomic_t readers_inside, max_readers;

static int64_t reader(void *arg)
{
	(void)arg;
	rwlock_read_lock(&table);
	int64_t n = atomic_inc(&readers_inside);
	if (n > atomic_load(&max_readers))
		atomic_store(&max_readers, n);
	task_sleep(MSEC(3));
	atomic_dec(&readers_inside);
	rwlock_read_unlock(&table);
	return 0;
}

static int64_t writer(void *arg)
{
	(void)arg;
	rwlock_write_lock(&table);
	int64_t inside = atomic_load(&readers_inside);
	rwlock_write_unlock(&table);
	return inside;
}

KTEST(rwlock_many_readers_or_one_writer)
{
	struct task *r1 = spawn("reader", reader, NULL), *r2 = spawn("reader", reader, NULL);
	KTEST_ASSERT(r1 && r2);
	task_yield();
	struct task *w = spawn("writer", writer, NULL);
	KTEST_ASSERT(w);
	KTEST_ASSERT_EQ(task_join(w), 0); /* the writer never saw a reader inside */
	task_join(r1);
	task_join(r2);
	KTEST_ASSERT_EQ(atomic_load(&max_readers), 2);
}

/* --- spinlocks, preemption, interrupt state ---------------------------------------------------- */

KTEST(spinlock_and_preemption_nest)
{
	static struct spinlock lock = SPINLOCK_INIT("test");
	KTEST_EXPECT(!preempt_disabled());
	spin_lock(&lock);
	KTEST_EXPECT(spin_is_locked(&lock) && preempt_disabled());
	KTEST_EXPECT(!spin_trylock(&lock));
	spin_unlock(&lock);
	spin_lock_irqsave(&lock);
	KTEST_EXPECT(!irq_enabled());
	spin_unlock_irqrestore(&lock);
	KTEST_EXPECT(irq_enabled() && !preempt_disabled());
	preempt_disable();
	preempt_disable();
	preempt_enable();
	KTEST_EXPECT(preempt_disabled());
	preempt_enable();
	KTEST_EXPECT(!preempt_disabled());
	irq_state outer = irq_save(), inner = irq_save();
	irq_restore(inner);
	KTEST_EXPECT(!irq_enabled());
	irq_restore(outer);
	KTEST_EXPECT(irq_enabled());
}

/* --- interrupt lines ------------------------------------------------------------------------ */

static atomic_t handled;
static bool handler_in_interrupt;
static void on_raise(void *ctx)
{
	handler_in_interrupt = in_interrupt();
	atomic_add(&handled, (int64_t)(intptr_t)ctx);
}

KTEST(irq_line_raise_runs_its_handler)
{
	struct irq_line *line, *isa;
	KTEST_ASSERT(irq_line_alloc(&line) == ERR_OK);
	irq_line_attach(line, on_raise, (void *)3);
	irq_line_enable(line);
	enum err e = irq_line_raise(line);
	if (e == ERR_UNSUPPORTED) {
		irq_line_free(line);
		KTEST_SKIP("no local APIC");
	}
	KTEST_ASSERT_EQ(e, ERR_OK);
	KTEST_ASSERT_EQ(atomic_load(&handled), 3);
	KTEST_EXPECT(handler_in_interrupt && !in_interrupt());
	KTEST_ASSERT_EQ(irq_line_count(line), 1);
	irq_line_detach(line);
	irq_line_free(line);
	KTEST_EXPECT(irq_line_alloc_isa(&isa, 0) == ERR_BUSY); /* the frame's own lines */
	KTEST_EXPECT(irq_line_alloc_isa(&isa, 4) == ERR_BUSY);
	KTEST_ASSERT(irq_line_alloc_isa(&isa, 3) == ERR_OK);
	KTEST_EXPECT(irq_line_alloc_isa(&line, 3) == ERR_BUSY);
	irq_line_free(isa);
}

/* --- scheduling policies -------------------------------------------------------------------- */

static struct task *lifo[8];
static int lifo_n;
static void lifo_enqueue(struct task *t)
{
	lifo[lifo_n++] = t;
}
static struct task *lifo_pick(void)
{
	return lifo_n ? lifo[--lifo_n] : NULL;
}
static bool lifo_tick(struct task *t)
{
	(void)t;
	return false;
}
static const struct sched_ops lifo_policy = {"lifo", lifo_enqueue, lifo_pick, lifo_tick};

static char order[4];
static int order_n;
static int64_t record(void *arg)
{
	order[order_n++] = (char)(intptr_t)arg;
	return 0;
}

KTEST(a_kernel_policy_decides_the_order)
{
	sched_set_policy(&lifo_policy);
	struct task *a = spawn("a", record, (void *)'a'), *b = spawn("b", record, (void *)'b');
	struct task *c = spawn("c", record, (void *)'c');
	task_yield(); /* main goes on the stack last, so a, b and c run first: c, b, a */
	task_join(a);
	task_join(b);
	task_join(c);
	sched_set_policy(NULL);
	KTEST_EXPECT(order[0] == 'c' && order[1] == 'b' && order[2] == 'a');
}

/* --- many tasks ----------------------------------------------------------------------------- */

static int64_t nothing(void *arg)
{
	return (int64_t)(intptr_t)arg;
}

static bool spawn_and_join_many(int n)
{
	static struct task *tasks[100];
	for (int done = 0; done < n; done += 100) {
		for (int i = 0; i < 100; i++)
			if (!(tasks[i] = spawn("many", nothing, (void *)(intptr_t)i)))
				return false;
		for (int i = 0; i < 100; i++)
			if (task_join(tasks[i]) != i)
				return false;
	}
	return true;
}

KTEST(a_thousand_tasks_leak_no_frame)
{
	KTEST_ASSERT(spawn_and_join_many(100)); /* warm up: the heap and the stack area's tables */
	size_t before = frame_free_count();
	KTEST_ASSERT(spawn_and_join_many(1000));
	KTEST_ASSERT_EQ(frame_free_count(), before);
}

/* --- run-time twins of the static initializers, and the rest of the small API ------------------ */

static bool always(void *ctx)
{
	(void)ctx;
	return true;
}
static void tick_count(struct timer *t, void *ctx)
{
	(void)t;
	atomic_inc(ctx);
}

KTEST(init_functions_match_the_static_initializers)
{
	struct spinlock s;
	struct mutex m;
	struct rwlock rw;
	struct wait_queue q;
	struct semaphore sem;
	struct timer t;
	atomic_t n = ATOMIC_INIT(0);
	spin_init(&s, "s");
	KTEST_EXPECT(spin_trylock(&s));
	spin_unlock(&s);
	mutex_init(&m, "m");
	KTEST_EXPECT(mutex_trylock(&m) && mutex_held(&m));
	KTEST_EXPECT(mutex_trylock(&m) == false); /* held already: no sleep, no deadlock report */
	mutex_unlock(&m);
	rwlock_init(&rw, "rw");
	rwlock_read_lock(&rw);
	rwlock_read_unlock(&rw);
	wait_queue_init(&q, "q");
	KTEST_EXPECT(wait_queue_wait(&q, always, NULL, FOREVER) == ERR_OK);
	sem_init(&sem, "sem", 1);
	KTEST_EXPECT(sem_trydown(&sem) && !sem_trydown(&sem));
	timer_init(&t, tick_count, &n);
	timer_start(&t, MSEC(1), NSEC(0));
	task_sleep(MSEC(3));
	KTEST_ASSERT_EQ(atomic_load(&n), 1);
	KTEST_EXPECT(atomic_exchange(&n, 5) == 1 && atomic_compare_exchange(&n, 5, 6) && atomic_dec(&n) == 5);
}

KTEST(task_data_can_be_replaced)
{
	static int a, b;
	struct task *me = task_current();
	void *old = task_data(me);
	task_set_data(me, &a);
	KTEST_EXPECT(task_data(me) == &a);
	task_set_data(me, &b);
	KTEST_EXPECT(task_data(me) == &b);
	task_set_data(me, old);
}

KTEST(a_disabled_line_runs_no_handler)
{
	struct irq_line *line;
	KTEST_ASSERT(irq_line_alloc(&line) == ERR_OK);
	irq_line_attach(line, on_raise, (void *)1);
	irq_line_enable(line);
	atomic_store(&handled, 0);
	irq_state s = irq_save(); /* raised while interrupts are off: it waits, latched */
	enum err e = irq_line_raise(line);
	irq_line_disable(line);
	uint64_t spurious = irq_spurious_count();
	irq_restore(s);
	irq_line_free(line);
	if (e == ERR_UNSUPPORTED)
		KTEST_SKIP("no local APIC");
	KTEST_ASSERT_EQ(atomic_load(&handled), 0); /* the latched interrupt came, but no handler ran */
	KTEST_ASSERT_EQ(irq_spurious_count(), spurious + 1);
}
