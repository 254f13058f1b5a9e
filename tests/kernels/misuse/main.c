// Misuses tasks, locks, timers and interrupt lines on purpose, in the way the command line
// names (see the tables at the end). Every case must end in a panic that names the frame
// function, the rule broken and the caller: the case_*, task_* or timer_* function below.
// A case that comes back prints "did not panic" and powers off with failure. One case is the
// other way round: "allowed-in-irq" calls, from a timer callback, what interrupt context may
// call, and powers off with success. The return-* cases return from kernel_main() with tasks not
// joined, which the frame must refuse; power-off-with-tasks ends the machine while tasks run.
#include <frame/frame.h>

static struct spinlock lock = SPINLOCK_INIT("misuse spin");
static struct mutex mutex = MUTEX_INIT("misuse mutex");
static struct rwlock rwlock = RWLOCK_INIT("misuse rwlock");
static atomic_t fired = ATOMIC_INIT(0);

static struct task *spawn(const char *name, task_fn fn, void *arg)
{
	struct task *t;
	if (task_spawn(&t, name, fn, arg, NULL) != ERR_OK)
		panic("no memory for task '%s'", name);
	return t;
}

// Busy-wait (interrupts on, no sleeping) until a timer callback ran, for at most a second.
static void wait_for_timer(void)
{
	uint64_t until = jiffies() + TIMER_HZ;
	while (!atomic_load(&fired) && jiffies() < until)
		;
}

// --- spinlocks -----------------------------------------------------------------------------

static void case_spin_deadlock(void)
{
	spin_lock(&lock);
	spin_lock(&lock); // held by this CPU already
}

static void case_spin_unlock_free(void)
{
	spin_unlock(&lock); // never taken
}

static void case_spin_unlock_irqsave(void)
{
	spin_lock_irqsave(&lock);
	spin_unlock(&lock); // needs spin_unlock_irqrestore()
}

static void case_spin_irqrestore_plain(void)
{
	spin_lock(&lock);
	spin_unlock_irqrestore(&lock); // needs spin_unlock()
}

static void timer_takes_spinlock(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	spin_lock(&lock); // the interrupted task holds it: a deadlock on one CPU
	atomic_store(&fired, 1);
}

static void case_spin_irq_deadlock(void)
{
	static struct timer timer = TIMER_INIT(timer_takes_spinlock, NULL);
	spin_lock(&lock); // should have been spin_lock_irqsave(): a handler takes it too
	timer_start(&timer, MSEC(1), NSEC(0));
	wait_for_timer();
}

static int64_t task_returns_holding_spinlock(void *arg)
{
	(void)arg;
	spin_lock(&lock);
	return 0; // still holding it
}

static void case_spin_held_at_exit(void)
{
	(void)task_join(spawn("holder", task_returns_holding_spinlock, NULL));
}

// --- mutexes -------------------------------------------------------------------------------

static void case_mutex_unlock_free(void)
{
	mutex_unlock(&mutex); // never locked
}

static int64_t task_unlocks_mains_mutex(void *arg)
{
	(void)arg;
	mutex_unlock(&mutex); // main holds it
	return 0;
}

static void case_mutex_unlock_other(void)
{
	mutex_lock(&mutex);
	(void)task_join(spawn("thief", task_unlocks_mains_mutex, NULL));
}

static int64_t task_locks_and_returns(void *arg)
{
	(void)arg;
	mutex_lock(&mutex);
	return 0; // still holding it
}

static void case_mutex_unlock_finished(void)
{
	struct task *t = spawn("locker", task_locks_and_returns, NULL);
	task_sleep(MSEC(2));  // locker runs to its end meanwhile
	mutex_unlock(&mutex); // locker (finished, not joined yet) holds it
	(void)task_join(t);
}

static void case_mutex_unlock_joined(void)
{
	(void)task_join(spawn("locker", task_locks_and_returns, NULL));
	mutex_unlock(&mutex); // held by a task that is gone
}

static void case_mutex_relock(void)
{
	mutex_lock(&mutex);
	mutex_lock(&mutex); // held by this task already
}

static void timer_takes_mutex(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	mutex_lock(&mutex); // interrupt context
	atomic_store(&fired, 1);
}

static void case_mutex_in_irq(void)
{
	static struct timer timer = TIMER_INIT(timer_takes_mutex, NULL);
	timer_start(&timer, MSEC(1), NSEC(0));
	wait_for_timer();
}

static void case_mutex_under_spin(void)
{
	spin_lock(&lock);
	mutex_lock(&mutex); // may sleep, under a spinlock
}

static void case_rwlock_unlock_free(void)
{
	rwlock_write_unlock(&rwlock); // never locked
}

// --- sleeping where it is forbidden --------------------------------------------------------

static void timer_sleeps(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	task_sleep(MSEC(1)); // interrupt context
	atomic_store(&fired, 1);
}

static void case_sleep_in_irq(void)
{
	static struct timer timer = TIMER_INIT(timer_sleeps, NULL);
	timer_start(&timer, MSEC(1), NSEC(0));
	wait_for_timer();
}

static void case_yield_under_spin(void)
{
	spin_lock(&lock);
	task_yield();
}

static void case_sleep_under_spin(void)
{
	spin_lock(&lock);
	task_sleep(MSEC(1));
}

static void case_sleep_preempt_off(void)
{
	preempt_disable();
	task_sleep(MSEC(1));
}

static void case_sleep_irq_off(void)
{
	irq_state s = irq_save();
	task_sleep(MSEC(1));
	irq_restore(s);
}

static void case_preempt_enable_unbalanced(void)
{
	preempt_enable(); // no preempt_disable() before
}

static void case_irq_restore_forged(void)
{
	irq_state forged = {0}; // not from irq_save()
	irq_restore(forged);
}

// --- tasks ---------------------------------------------------------------------------------

static int64_t task_returns_7(void *arg)
{
	(void)arg;
	return 7;
}

static void case_join_twice(void)
{
	struct task *t = spawn("once", task_returns_7, NULL);
	(void)task_join(t);
	(void)task_join(t); // freed by the first join
}

static int64_t task_joins_itself(void *arg)
{
	(void)arg;
	return task_join(task_current());
}

static void case_join_self(void)
{
	(void)task_join(spawn("selfish", task_joins_itself, NULL));
}

static int64_t task_joins_main(void *arg)
{
	return task_join(arg);
}

static void case_join_main(void)
{
	(void)task_join(spawn("rebel", task_joins_main, task_current()));
}

static int64_t task_sleeps_5ms(void *arg)
{
	(void)arg;
	task_sleep(MSEC(5));
	return 0;
}

static int64_t task_joins_arg(void *arg)
{
	return task_join(arg);
}

static void case_join_busy(void)
{
	struct task *sleeper = spawn("sleeper", task_sleeps_5ms, NULL);
	struct task *joiner = spawn("joiner", task_joins_arg, sleeper);
	task_sleep(MSEC(1));	  // both run: sleeper sleeps, joiner waits for it
	(void)task_join(sleeper); // joiner joins it already
	(void)task_join(joiner);
}

static void case_exit_main(void)
{
	task_exit(0); // main returns from kernel_main() instead
}

// Cases that return from kernel_main() with tasks not joined (see return_cases below).
static int64_t task_spins(void *arg)
{
	(void)arg;
	for (;;)
		task_yield();
	return 0;
}

static int64_t task_sleeps_a_minute(void *arg)
{
	(void)arg;
	task_sleep(SEC(60));
	return 0;
}

static void return_task_running(void)
{
	spawn("spinner", task_spins, NULL);
	spawn("spinner 2", task_spins, NULL);
	task_yield(); // both run, and stay runnable
}

static void return_task_waiting(void)
{
	spawn("sleeper", task_sleeps_a_minute, NULL);
	task_yield(); // it goes to sleep
}

static void return_task_unjoined(void)
{
	spawn("short", task_returns_7, NULL);
	task_sleep(MSEC(1)); // it returns, and nobody joins it
}

static void power_off_with_tasks(void)
{
	spawn("spinner", task_spins, NULL);
	spawn("sleeper", task_sleeps_a_minute, NULL);
	task_yield();
	console_printf("misuse: power_off() with tasks running\n");
	power_off(POWER_EXIT_SUCCESS); // ends the machine whatever runs
}

static void timer_spawns(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct task *task;
	if (task_spawn(&task, "from irq", task_returns_7, NULL, NULL) == ERR_OK) // interrupt context
		atomic_store(&fired, 1);
}

static void case_spawn_in_irq(void)
{
	static struct timer timer = TIMER_INIT(timer_spawns, NULL);
	timer_start(&timer, MSEC(1), NSEC(0));
	wait_for_timer();
}

__attribute__((noinline)) static int recurse(int depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	if ((uint64_t)depth > boot_usable_memory()) // never true; the compiler cannot know it
		return 0;
	return recurse(depth + 1) + frame[0]; // not a tail call: every level keeps its frame
}

static int64_t task_recurses(void *arg)
{
	(void)arg;
	return recurse(0);
}

static void case_stack_overflow(void)
{
	(void)task_join(spawn("deep", task_recurses, NULL));
}

// One local array larger than the whole stack slot: without probing, the stack pointer would jump
// past the guard into the next task's stack and the write would land there.
__attribute__((noinline)) static int huge_frame(void)
{
	volatile char huge[300 * 1024];
	huge[0] = 1;
	return huge[0];
}

static int64_t task_jumps(void *arg)
{
	(void)arg;
	return huge_frame();
}

static void case_stack_jump(void)
{
	(void)task_join(spawn("jumper", task_jumps, NULL));
}

// --- scheduling policies -------------------------------------------------------------------

// "leaky": keeps every task it was given in an array, in turn, and never removes one, so a
// finished task comes round again.
static struct task *leaky_tasks[8];
static unsigned leaky_count, leaky_turn;

static void leaky_enqueue(struct task *t)
{
	for (unsigned i = 0; i < leaky_count; i++)
		if (leaky_tasks[i] == t)
			return;
	if (leaky_count < 8)
		leaky_tasks[leaky_count++] = t;
}

static struct task *leaky_pick_next(void)
{
	return leaky_count ? leaky_tasks[leaky_turn++ % leaky_count] : NULL;
}

static bool never_preempt(struct task *current)
{
	(void)current;
	return false;
}

static const struct sched_ops leaky = {"leaky", leaky_enqueue, leaky_pick_next, never_preempt};

static void case_policy_finished(void)
{
	sched_set_policy(&leaky);
	spawn("short", task_returns_7, NULL);
	task_yield(); // short runs and finishes
	task_yield(); // the policy hands back short again
}

// "forgetful": a FIFO whose pick_next() looks at the head but never takes it off, so it hands
// back the same task again, also after it went to sleep.
static struct task *fifo[8];
static unsigned fifo_count;

static void fifo_enqueue(struct task *t)
{
	if (fifo_count < 8)
		fifo[fifo_count++] = t;
}

static struct task *forgetful_pick_next(void)
{
	return fifo_count ? fifo[0] : NULL;
}

static const struct sched_ops forgetful = {"forgetful", fifo_enqueue, forgetful_pick_next, never_preempt};

static int64_t task_sleeps_1ms(void *arg)
{
	(void)arg;
	task_sleep(MSEC(1));
	return 0;
}

static void case_policy_twice(void)
{
	sched_set_policy(&forgetful);
	spawn("worker", task_sleeps_1ms, NULL);
	task_sleep(MSEC(1)); // worker runs, goes to sleep, and the policy picks it again
}

// "bogus": hands back something that is not a task at all.
static uint64_t not_a_task[32];

static struct task *bogus_pick_next(void)
{
	return (struct task *)(void *)not_a_task;
}

static const struct sched_ops bogus = {"bogus", fifo_enqueue, bogus_pick_next, never_preempt};

static void case_policy_bogus(void)
{
	sched_set_policy(&bogus);
	task_yield();
}

static void case_policy_late(void)
{
	spawn("early", task_returns_7, NULL);
	sched_set_policy(&leaky); // a task exists already
}

// --- timers and interrupt lines ------------------------------------------------------------

static void timer_does_nothing(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
}

static void case_timer_restart(void)
{
	static struct timer timer = TIMER_INIT(timer_does_nothing, NULL);
	timer_start(&timer, SEC(1), NSEC(0));
	timer_start(&timer, SEC(1), NSEC(0)); // pending already
}

static void case_timer_uninit(void)
{
	static struct timer timer; // neither TIMER_INIT() nor timer_init()
	timer_start(&timer, MSEC(1), NSEC(0));
}

static void case_irq_enable_no_handler(void)
{
	struct irq_line *line;
	if (irq_line_alloc(&line) != ERR_OK)
		panic("no free interrupt line");
	irq_line_enable(line); // no handler attached
}

// --- address-space ranges --------------------------------------------------------------------

// The error a misused call would return: the call panics before it returns.
static void ignore(enum err e)
{
	(void)e;
}

static struct vm_space *new_space(void)
{
	struct vm_space *space;
	if (vm_space_create(&space) != ERR_OK)
		panic("no memory for an address space");
	return space;
}

static void case_vm_map_range_prot(void)
{
	struct frame f;
	if (frame_alloc(&f, 0) != ERR_OK)
		panic("out of memory");
	ignore(vm_space_map_range(new_space(), 0x10000, &f, 1, 0)); // no rights at all
}

static void case_vm_map_range_null(void)
{
	ignore(vm_space_map_range(new_space(), 0x10000, NULL, 2, VM_READ));
}

static void case_vm_map_range_stale(void)
{
	struct frame f[2];
	if (frame_alloc(&f[0], 0) != ERR_OK || frame_alloc(&f[1], 0) != ERR_OK)
		panic("out of memory");
	frame_put(f[1]); // freed
	ignore(vm_space_map_range(new_space(), 0x10000, f, 2, VM_READ));
}

static void case_vm_protect_range_prot(void)
{
	ignore(vm_space_protect_range(new_space(), 0x10000, 4, (enum vm_prot)8)); // an unknown bit
}

static void case_vm_unmap_range_dead(void)
{
	struct vm_space *space = new_space();
	vm_space_destroy(space);
	ignore(vm_space_unmap_range(space, 0x10000, 4)); // destroyed
}

static void case_vm_next_mapping_null(void)
{
	struct vm_mapping m;
	(void)m;
	(void)vm_space_next_mapping(new_space(), NULL, &m);
}

static void case_vm_copy_partial_null(void)
{
	ignore(vm_copy_to_user_partial(new_space(), 0x10000, "x", 1, NULL));
}

// --- in interrupt context, what only tasks may call ------------------------------------------
//
// Each of these cases runs its setup (if any) in main, then its timer_* function once as a
// timer callback: in interrupt context, interrupting main. That function is the caller the
// panic names.

static struct irq_line *line;	 // from setup_line()
static struct task *finished;	 // from setup_finished_task()
static struct user_mode program; // from setup_program()

static void setup_line(void)
{
	if (irq_line_alloc(&line) != ERR_OK)
		panic("no free interrupt line");
}

static void setup_finished_task(void)
{
	finished = spawn("finished", task_returns_7, NULL);
	task_yield(); // it runs to its end; main is the only task left running
}

static void setup_program(void)
{
	struct vm_space *space;
	if (vm_space_create(&space) != ERR_OK)
		panic("no memory for an address space");
	user_mode_init(&program, space, VM_USER_MIN, VM_USER_MIN + 4096); // never runs: nothing mapped
}

static void setup_mutex(void)
{
	mutex_lock(&mutex);
}

static void setup_read_lock(void)
{
	rwlock_read_lock(&rwlock);
}

static void setup_write_lock(void)
{
	rwlock_write_lock(&rwlock);
}

static void setup_preempt_off(void)
{
	preempt_disable();
}

static void ignore_input(void *ctx, char c)
{
	(void)ctx, (void)c;
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static void timer_allocates_line(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct irq_line *l;
	if (irq_line_alloc(&l) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_allocates_isa_line(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct irq_line *l;
	if (irq_line_alloc_isa(&l, 3) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_allocates_pci_line(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct irq_line *l;
	struct pci_device *ide = pci_find_class(0x01, 0x01, NULL); // pc: the PIIX3 IDE controller
	if (ide && pci_irq_alloc(&l, ide, PCI_IRQ_ANY) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_frees_line(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	irq_line_free(line);
	atomic_store(&fired, 1);
}

static void timer_joins(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	(void)task_join(finished);
	atomic_store(&fired, 1);
}

static void timer_exits(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	task_exit(0); // main is the interrupted task: the rule broken is the context, not "main"
}

static void timer_yields(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	task_yield();
	atomic_store(&fired, 1);
}

static void timer_disables_preemption(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	preempt_disable();
	atomic_store(&fired, 1);
}

static void timer_enables_preemption(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	preempt_enable(); // would undo main's preempt_disable()
	atomic_store(&fired, 1);
}

static void timer_sets_policy(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	sched_set_policy(NULL);
	atomic_store(&fired, 1);
}

static void timer_trylocks_mutex(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (mutex_trylock(&mutex))
		atomic_store(&fired, 1);
}

static void timer_unlocks_mutex(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	mutex_unlock(&mutex); // main holds it
	atomic_store(&fired, 1);
}

static void timer_asks_mutex_held(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (!mutex_held(&mutex))
		atomic_store(&fired, 1);
}

static void timer_read_locks(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	rwlock_read_lock(&rwlock);
	atomic_store(&fired, 1);
}

static void timer_read_unlocks(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	rwlock_read_unlock(&rwlock); // main's read hold
	atomic_store(&fired, 1);
}

static void timer_write_locks(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	rwlock_write_lock(&rwlock);
	atomic_store(&fired, 1);
}

static void timer_write_unlocks(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	rwlock_write_unlock(&rwlock); // main's write hold
	atomic_store(&fired, 1);
}

static void timer_waits(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	static struct wait_queue queue = WAIT_QUEUE_INIT("misuse queue");
	if (wait_queue_wait(&queue, never, NULL, MSEC(1)) != ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_downs_semaphore(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	static struct semaphore sem = SEMAPHORE_INIT("misuse semaphore", 1);
	if (sem_down(&sem, FOREVER) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_sets_input(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	if (console_on_input(ignore_input, NULL) == ERR_OK)
		atomic_store(&fired, 1);
}

static void timer_runs_user_mode(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	(void)user_mode_run(&program);
	atomic_store(&fired, 1);
}

static void timer_runs_ktests(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	ktest_main();
}

static void timer_maps_range(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	struct frame f = {0};
	ignore(vm_space_map_range(program.space, 0x10000, &f, 1, VM_READ));
	atomic_store(&fired, 1);
}

static void timer_walks_space(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	uint64_t at = 0;
	struct vm_mapping m;
	(void)vm_space_next_mapping(program.space, &at, &m);
	atomic_store(&fired, 1);
}

// --- in interrupt context, what handlers may call --------------------------------------------

static atomic_t raised = ATOMIC_INIT(0), wrong = ATOMIC_INIT(0);
static enum err raise_result;

static void expect(bool ok, const char *what)
{
	if (!ok) {
		console_printf("misuse: wrong in interrupt context: %s\n", what);
		atomic_inc(&wrong);
	}
}

// The handler of the line the timer callback raises: masks and detaches its own line.
static void on_raised(void *ctx)
{
	(void)ctx;
	expect(in_interrupt() && irq_line_count(line) == 1, "the raised line's handler");
	irq_line_disable(line);
	irq_line_detach(line);
	atomic_store(&raised, 1);
}

static void timer_does_what_handlers_may(struct timer *t, void *ctx)
{
	(void)t, (void)ctx;
	static struct spinlock spin;
	static struct mutex m;
	static struct rwlock rw;
	static struct wait_queue q;
	static struct semaphore sem;
	static struct timer other;
	static struct user_mode um;
	static int data;
	expect(in_interrupt() && !irq_enabled() && !preempt_disabled(), "in_interrupt, irq_enabled, preempt_disabled");
	irq_state s = irq_save();
	irq_restore(s);
	(void)irq_spurious_count();

	irq_line_attach(line, on_raised, NULL);
	irq_line_enable(line);
	raise_result = irq_line_raise(line); // its handler runs once this callback has returned
	expect(raise_result == ERR_OK || raise_result == ERR_UNSUPPORTED, "irq_line_raise");
	if (raise_result != ERR_OK)
		atomic_store(&raised, 1); // no local APIC: nothing to wait for
	expect(irq_line_count(line) == 0, "irq_line_count");

	struct task *me = task_current();
	void *old = task_data(me);
	task_set_data(me, &data);
	expect(strcmp(task_name(me), "main") == 0 && task_data(me) == &data, "task_current, task_name, task_data");
	task_set_data(me, old);

	spin_init(&spin, "handler spin");
	spin_lock(&spin);
	expect(spin_is_locked(&spin) && !spin_trylock(&spin), "spin_lock, spin_is_locked, spin_trylock");
	spin_unlock(&spin);
	spin_lock_irqsave(&spin);
	spin_unlock_irqrestore(&spin);
	mutex_init(&m, "handler mutex");
	rwlock_init(&rw, "handler rwlock");
	wait_queue_init(&q, "handler queue");
	expect(!wait_queue_wake_one(&q) && wait_queue_wake_all(&q) == 0, "wait_queue_wake_one, wait_queue_wake_all");
	sem_init(&sem, "handler semaphore", 0);
	sem_up(&sem);
	expect(sem_trydown(&sem) && !sem_trydown(&sem), "sem_up, sem_trydown");

	timer_init(&other, timer_does_nothing, NULL);
	timer_start(&other, SEC(1), NSEC(0));
	expect(timer_pending(&other) && timer_cancel(&other), "timer_init, timer_start, timer_pending, timer_cancel");
	expect(time_now_ns() > 0 && jiffies() > 0 && timer_source()[0], "time_now_ns, jiffies, timer_source");

	const char *text = "misuse: console_write in interrupt context\n";
	console_write(text, strlen(text));
	console_printf("misuse: console_printf in interrupt context\n");
	log_set_level(log_get_level());
	log_info("misuse: log_info in interrupt context");

	expect(boot_loader_name()[0] && boot_cmdline()[0] && boot_memory_region_count() > 0 &&
		       boot_memory_type_name(boot_memory_region(0).type)[0] && boot_usable_memory() > 0,
	       "boot_*");
	struct boot_framebuffer fb;
	bool has_framebuffer = boot_framebuffer(&fb);
	(void)has_framebuffer, (void)boot_module_count();

	struct vm_space *space = program.space; // created by main
	user_mode_init(&um, space, VM_USER_MIN, VM_USER_MIN + 4096);
	expect(user_exception_name(14)[0] && err_name(ERR_BUSY)[0], "user_mode_init, user_exception_name, err_name");
	atomic_store(&fired, 1);
}

static void case_allowed_in_irq(void)
{
	static struct timer timer = TIMER_INIT(timer_does_what_handlers_may, NULL);
	setup_line();
	setup_program();
	timer_start(&timer, MSEC(1), NSEC(0));
	wait_for_timer();
	uint64_t until = jiffies() + TIMER_HZ;
	while (!atomic_load(&raised) && jiffies() < until)
		;
	expect(atomic_load(&fired) && atomic_load(&raised), "the timer callback and the raised line's handler ran");
	expect(raise_result == ERR_UNSUPPORTED || irq_line_count(line) == 1, "the raised line's handler ran once");
	irq_line_free(line);
	console_printf("misuse: allowed-in-irq: %lld wrong\n", (long long)atomic_load(&wrong));
	power_off(atomic_load(&wrong) ? POWER_EXIT_FAILURE : POWER_EXIT_SUCCESS);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"spin-deadlock", case_spin_deadlock},
	{"spin-unlock-free", case_spin_unlock_free},
	{"spin-unlock-irqsave", case_spin_unlock_irqsave},
	{"spin-irqrestore-plain", case_spin_irqrestore_plain},
	{"spin-irq-deadlock", case_spin_irq_deadlock},
	{"spin-held-at-exit", case_spin_held_at_exit},
	{"mutex-unlock-free", case_mutex_unlock_free},
	{"mutex-unlock-other", case_mutex_unlock_other},
	{"mutex-unlock-finished", case_mutex_unlock_finished},
	{"mutex-unlock-joined", case_mutex_unlock_joined},
	{"mutex-relock", case_mutex_relock},
	{"mutex-in-irq", case_mutex_in_irq},
	{"mutex-under-spin", case_mutex_under_spin},
	{"rwlock-unlock-free", case_rwlock_unlock_free},
	{"sleep-in-irq", case_sleep_in_irq},
	{"yield-under-spin", case_yield_under_spin},
	{"sleep-under-spin", case_sleep_under_spin},
	{"sleep-preempt-off", case_sleep_preempt_off},
	{"sleep-irq-off", case_sleep_irq_off},
	{"preempt-enable-unbalanced", case_preempt_enable_unbalanced},
	{"irq-restore-forged", case_irq_restore_forged},
	{"join-twice", case_join_twice},
	{"join-self", case_join_self},
	{"join-main", case_join_main},
	{"join-busy", case_join_busy},
	{"exit-main", case_exit_main},
	{"spawn-in-irq", case_spawn_in_irq},
	{"stack-overflow", case_stack_overflow},
	{"stack-jump", case_stack_jump},
	{"policy-finished", case_policy_finished},
	{"policy-twice", case_policy_twice},
	{"policy-bogus", case_policy_bogus},
	{"policy-late", case_policy_late},
	{"timer-restart", case_timer_restart},
	{"timer-uninit", case_timer_uninit},
	{"irq-enable-no-handler", case_irq_enable_no_handler},
	{"vm-map-range-prot", case_vm_map_range_prot},
	{"vm-map-range-null", case_vm_map_range_null},
	{"vm-map-range-stale", case_vm_map_range_stale},
	{"vm-protect-range-prot", case_vm_protect_range_prot},
	{"vm-unmap-range-dead", case_vm_unmap_range_dead},
	{"vm-next-mapping-null", case_vm_next_mapping_null},
	{"vm-copy-partial-null", case_vm_copy_partial_null},
	{"allowed-in-irq", case_allowed_in_irq},
};

// Cases that call one frame function from a timer callback: setup (or NULL) runs first in main.
static const struct {
	const char *name;
	void (*setup)(void);
	timer_fn in_timer;
} irq_cases[] = {
	{"line-alloc-in-irq", NULL, timer_allocates_line},
	{"line-alloc-isa-in-irq", NULL, timer_allocates_isa_line},
	{"pci-line-alloc-in-irq", NULL, timer_allocates_pci_line},
	{"line-free-in-irq", setup_line, timer_frees_line},
	{"join-in-irq", setup_finished_task, timer_joins},
	{"exit-in-irq", NULL, timer_exits},
	{"yield-in-irq", NULL, timer_yields},
	{"preempt-disable-in-irq", NULL, timer_disables_preemption},
	{"preempt-enable-in-irq", setup_preempt_off, timer_enables_preemption},
	{"policy-in-irq", NULL, timer_sets_policy},
	{"mutex-trylock-in-irq", NULL, timer_trylocks_mutex},
	{"mutex-unlock-in-irq", setup_mutex, timer_unlocks_mutex},
	{"mutex-held-in-irq", NULL, timer_asks_mutex_held},
	{"rwlock-read-lock-in-irq", NULL, timer_read_locks},
	{"rwlock-read-unlock-in-irq", setup_read_lock, timer_read_unlocks},
	{"rwlock-write-lock-in-irq", NULL, timer_write_locks},
	{"rwlock-write-unlock-in-irq", setup_write_lock, timer_write_unlocks},
	{"wait-in-irq", NULL, timer_waits},
	{"sem-down-in-irq", NULL, timer_downs_semaphore},
	{"on-input-in-irq", NULL, timer_sets_input},
	{"user-run-in-irq", setup_program, timer_runs_user_mode},
	{"vm-map-range-in-irq", setup_program, timer_maps_range},
	{"vm-next-mapping-in-irq", setup_program, timer_walks_space},
	{"ktest-main-in-irq", NULL, timer_runs_ktests},
};

// Cases after which kernel_main() returns: the frame must panic (or, for power-off-with-tasks,
// power_off() ends the machine first).
static const struct {
	const char *name;
	void (*run)(void);
} return_cases[] = {
	{"return-task-running", return_task_running},
	{"return-task-waiting", return_task_waiting},
	{"return-task-unjoined", return_task_unjoined},
	{"power-off-with-tasks", power_off_with_tasks},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	console_printf("misuse: %s\n", how);
	for (size_t i = 0; i < sizeof(return_cases) / sizeof(return_cases[0]); i++) {
		if (strcmp(how, return_cases[i].name) == 0) {
			return_cases[i].run();
			console_printf("misuse: returning from kernel_main()\n");
			return;
		}
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) == 0) {
			cases[i].run();
			console_printf("misuse: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	for (size_t i = 0; i < sizeof(irq_cases) / sizeof(irq_cases[0]); i++) {
		if (strcmp(how, irq_cases[i].name) == 0) {
			static struct timer timer;
			if (irq_cases[i].setup)
				irq_cases[i].setup();
			timer_init(&timer, irq_cases[i].in_timer, NULL);
			timer_start(&timer, MSEC(1), NSEC(0));
			wait_for_timer();
			console_printf("misuse: case '%s' did not panic\n", how);
			power_off(POWER_EXIT_FAILURE);
		}
	}
	console_printf("misuse: unknown case '%s'; cases:", how);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		console_printf(" %s", cases[i].name);
	for (size_t i = 0; i < sizeof(irq_cases) / sizeof(irq_cases[0]); i++)
		console_printf(" %s", irq_cases[i].name);
	for (size_t i = 0; i < sizeof(return_cases) / sizeof(return_cases[0]); i++)
		console_printf(" %s", return_cases[i].name);
	console_printf("\n");
	power_off(POWER_EXIT_FAILURE);
}
