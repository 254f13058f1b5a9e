// Prints figures of plain client code (a heap loop, an ELF load, a switch between two user programs), the frame's
// benchmark figures ("bench: ..." lines) and, with a virtio disk, the virtio-blk driver's sequential read speed and
// random-read IOPS and, with a virtio network card, how many frames a second virtio-net sends; then powers off.
// The rows of make bench's frame/floor table are also printed as "figure: <row> <median> ns ..." lines; with the
// command line `rows`, only those are measured (docs/performance.md).
#include <drivers/virtio_blk.h>
#include <drivers/virtio_net.h>
#include <frame/frame.h>
#include <loader/elf.h>

#include "user_programs.h"

// In the frame's test objects, linked by tests/kernels/bench/Makefile.
void frame_bench_run(const unsigned char *null_syscall, size_t size, uint64_t base, bool rows_only);

#define ROUNDS 1001 // per figure row: the median is printed

static uint64_t round_ns[ROUNDS];

// Print the figure contract's line for round_ns[]: "figure: key median ns (runs, min, max)".
static void figure(const char *key) // NULL: only sort
{
	for (size_t i = 1; i < ROUNDS; i++)
		for (size_t j = i; j && round_ns[j - 1] > round_ns[j]; j--) {
			uint64_t t = round_ns[j];
			round_ns[j] = round_ns[j - 1];
			round_ns[j - 1] = t;
		}
	if (!key)
		return;
	console_printf("figure: %s %llu ns (%d runs, min %llu, max %llu)\n", key,
		       (unsigned long long)round_ns[ROUNDS / 2], ROUNDS, (unsigned long long)round_ns[0],
		       (unsigned long long)round_ns[ROUNDS - 1]);
}

// A new address space with the program `image` at USER_PROGRAM_BASE, ready to run in `um`.
static struct vm_space *program_load(struct user_mode *um, const unsigned char *image, size_t size)
{
	struct vm_space *space;
	struct frame f;
	if (vm_space_create(&space) != ERR_OK || frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK)
		panic("bench: no memory");
	frame_write(f, 0, image, size);
	if (vm_space_map(space, USER_PROGRAM_BASE, f, VM_READ | VM_EXEC) != ERR_OK)
		panic("bench: map failed");
	frame_put(f);
	user_mode_init(um, space, USER_PROGRAM_BASE, 0);
	return space;
}

#define MAP_ADDR 0x600000  // map_touch.S
#define COPY_ADDR 0x500000 // copy_4k.S

// The two rows below, served either by the task (user_mode_run() returns each system call) or by
// a fast handler in trap context (user_mode_set_fast_handler()); the handler is the figure row.
struct row_run {
	struct vm_space *space;
	int round; // -1 until the first timed call, then the next round_ns[] to fill
	uint64_t last;
	uint8_t buf[4096];
};

// Time one round: the time between two calls of the row's first system call.
static void tick_round(struct row_run *r)
{
	uint64_t now = time_now_ns();
	if (r->round >= 0)
		round_ns[r->round] = now - r->last;
	r->last = now;
	r->round++;
}

// map_touch.S's calls: "map" (frame_alloc(FRAME_ALLOC_ZEROED) + vm_space_map), "unmap" (vm_space_unmap).
static void serve_map(struct row_run *r, struct user_context *c)
{
	if (c->rax == 9) {
		tick_round(r);
		struct frame f;
		if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK ||
		    vm_space_map(r->space, MAP_ADDR, f, VM_READ | VM_WRITE) != ERR_OK)
			panic("bench: map failed");
		frame_put(f); // the mapping holds the page
	} else if (c->rax == 11) {
		if (vm_space_unmap(r->space, MAP_ADDR) != ERR_OK)
			panic("bench: unmap failed");
	} else {
		panic("bench: map_touch made system call %llu", (unsigned long long)c->rax);
	}
	c->rax = 0;
}

// copy_4k.S's call: its 4 KiB copied by vm_copy_from_user() into a kernel buffer.
static void serve_copy(struct row_run *r, struct user_context *c)
{
	tick_round(r);
	if (c->rax != 1 || c->rsi != sizeof(r->buf) ||
	    vm_copy_from_user(r->space, r->buf, c->rdi, sizeof(r->buf)) != ERR_OK)
		panic("bench: the copy failed");
	c->rax = 0;
}

static enum user_fast fast_map(struct user_context *c, void *data)
{
	struct row_run *r = data;
	if (r->round >= ROUNDS)
		return USER_FAST_SLOW; // done: back to the task
	serve_map(r, c);
	return USER_FAST_DONE;
}

static enum user_fast fast_copy(struct user_context *c, void *data)
{
	struct row_run *r = data;
	if (r->round >= ROUNDS)
		return USER_FAST_SLOW;
	serve_copy(r, c);
	return USER_FAST_DONE;
}

// Run a row's program for ROUNDS rounds, by the task or by the fast handler, and print it.
static void bench_row(const char *key, const unsigned char *image, size_t size, bool fast)
{
	static struct user_mode um;
	static struct row_run r;
	bool map = strcmp(key, "map_touch_unmap") == 0;
	r.space = program_load(&um, image, size);
	r.round = -1;
	if (!map) {
		struct frame f;
		if (frame_alloc(&f, FRAME_ALLOC_ZEROED) != ERR_OK ||
		    vm_space_map(r.space, COPY_ADDR, f, VM_READ) != ERR_OK)
			panic("bench: map failed");
		frame_put(f);
	}
	if (fast)
		user_mode_set_fast_handler(&um, map ? fast_map : fast_copy, &r);
	while (r.round < ROUNDS) {
		enum user_return why = user_mode_run(&um);
		if (why == USER_RETURN_EXCEPTION)
			panic("bench: a program faulted: %s", user_exception_name(um.exception.vector));
		if (why == USER_RETURN_SYSCALL && r.round < ROUNDS)
			(map ? serve_map : serve_copy)(&r, &um.context);
	}
	vm_space_destroy(r.space); // with the page of the last "map", if any
	if (fast) {
		figure(key);
	} else {
		figure(NULL);
		console_printf("bench: %s through user_mode_run (no fast handler): %llu ns (%d runs)\n", key,
			       (unsigned long long)round_ns[ROUNDS / 2], ROUNDS);
	}
}

static void bench_map_touch_unmap(bool fast)
{
	bench_row("map_touch_unmap", user_program_map_touch, user_program_map_touch_size, fast);
}

static void bench_copy_from_user(bool fast)
{
	bench_row("copy_from_user_4k", user_program_copy_4k, user_program_copy_4k_size, fast);
}

// Read the first `total` bytes of the disk in requests of `request` bytes; print MB/s.
static void bench_disk_read(struct virtio_blk *disk, uint8_t *buf, uint64_t total, uint32_t request)
{
	uint32_t count = request / VIRTIO_BLK_SECTOR;
	uint64_t start = time_now_ns();
	for (uint64_t s = 0; s < total / VIRTIO_BLK_SECTOR; s += count)
		if (virtio_blk_read(disk, s, count, buf, request) != ERR_OK)
			panic("bench: virtio-blk read failed");
	uint64_t ns = time_now_ns() - start;
	console_printf("bench: virtio-blk sequential read, %u KiB requests: %llu MB/s (%llu MiB)\n", request / 1024,
		       (unsigned long long)(total * 1000 / (ns ? ns : 1)), (unsigned long long)(total >> 20));
}

#define RANDOM_READS 2048 // 4 KiB reads at random places, in all
#define QUEUE_DEPTH 32	  // tasks reading at once, for the deep queue

struct random_reader {
	struct virtio_blk *disk;
	uint64_t sectors, seed;
	unsigned reads;
};

// A task (or the caller) doing r->reads 4 KiB reads at pseudo-random 4 KiB-aligned places.
static int64_t random_reads(void *arg)
{
	struct random_reader *r = arg;
	uint8_t *buf = heap_alloc(4096);
	if (!buf)
		panic("bench: no memory");
	for (unsigned i = 0; i < r->reads; i++) {
		r->seed = r->seed * 6364136223846793005ull + 1442695040888963407ull; // an LCG: same run each time
		uint64_t sector = (r->seed >> 33) % (r->sectors / 8) * 8;
		if (virtio_blk_read(r->disk, sector, 8, buf, 4096) != ERR_OK)
			panic("bench: virtio-blk read failed");
	}
	heap_free(buf);
	return 0;
}

// RANDOM_READS random 4 KiB reads by `depth` tasks at once; print reads a second.
static void bench_disk_random(struct virtio_blk *disk, uint64_t sectors, unsigned depth)
{
	static struct random_reader readers[QUEUE_DEPTH];
	struct task *tasks[QUEUE_DEPTH];
	uint64_t start = time_now_ns();
	for (unsigned t = 0; t < depth; t++) {
		readers[t] = (struct random_reader){disk, sectors, t + 1, RANDOM_READS / depth};
		if (task_spawn(&tasks[t], "reader", random_reads, &readers[t], NULL) != ERR_OK)
			panic("bench: no memory for a task");
	}
	for (unsigned t = 0; t < depth; t++)
		(void)task_join(tasks[t]);
	uint64_t ns = time_now_ns() - start;
	console_printf("bench: virtio-blk random 4 KiB reads, queue depth %u: %llu IOPS (%u reads)\n", depth,
		       (unsigned long long)(RANDOM_READS * 1000000000ull / (ns ? ns : 1)), RANDOM_READS);
}

static void bench_disk(void)
{
	struct pci_device *dev = virtio_blk_find(NULL);
	struct virtio_blk *disk;
	uint8_t *buf = heap_alloc(VIRTIO_BLK_MAX_REQUEST);
	if (!dev || !buf || virtio_blk_init(&disk, dev) != ERR_OK) {
		console_printf("bench: virtio-blk: no disk (make bench gives one)\n");
		heap_free(buf);
		return;
	}
	uint64_t total = virtio_blk_capacity(disk) * VIRTIO_BLK_SECTOR;
	if (total > 64u << 20)
		total = 64u << 20;
	bench_disk_read(disk, buf, total, 4096);
	bench_disk_read(disk, buf, total, VIRTIO_BLK_MAX_REQUEST);
	bench_disk_random(disk, total / VIRTIO_BLK_SECTOR, 1);
	bench_disk_random(disk, total / VIRTIO_BLK_SECTOR, QUEUE_DEPTH);
	heap_free(buf);
}

#define NET_FRAMES 5000

// NET_FRAMES broadcast frames of len bytes, each sent when the last was taken (the blocking API).
static void bench_net_send(struct virtio_net *net, uint8_t *frame, size_t len)
{
	struct virtio_net_addr mac = virtio_net_mac(net);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac.bytes, 6);
	frame[12] = 0x88; // the local experimental EtherType 0x88b5
	frame[13] = 0xb5;
	uint64_t start = time_now_ns();
	for (unsigned i = 0; i < NET_FRAMES; i++)
		if (virtio_net_send(net, frame, len) != ERR_OK)
			panic("bench: virtio-net send failed");
	uint64_t ns = time_now_ns() - start;
	console_printf("bench: virtio-net send, %zu-byte frames: %llu frames/s (%u frames)\n", len,
		       (unsigned long long)(NET_FRAMES * 1000000000ull / (ns ? ns : 1)), NET_FRAMES);
}

static void bench_net(void)
{
	struct pci_device *dev = virtio_net_find(NULL);
	struct virtio_net *net;
	uint8_t *frame = heap_zalloc(VIRTIO_NET_FRAME_MAX);
	if (!dev || !frame || virtio_net_open(&net, dev) != ERR_OK) {
		console_printf("bench: virtio-net: no network card (make bench gives one)\n");
		heap_free(frame);
		return;
	}
	bench_net_send(net, frame, 64);
	bench_net_send(net, frame, 1500);
	heap_free(frame);
}

#define CLIENT_WORDS 8192 // 64 KiB of heap
#define CLIENT_ROUNDS 32

// Plain client C: loads and stores on a heap array, each checked by the address sanitizer where
// it is on (make bench runs this kernel with the sanitizers and with SANITIZE=none).
static void bench_client_code(void)
{
	uint64_t *a = heap_zalloc(CLIENT_WORDS * sizeof(uint64_t)), sum = 0;
	if (!a)
		panic("bench: no memory");
	uint64_t start = time_now_ns();
	for (unsigned r = 0; r < CLIENT_ROUNDS; r++)
		for (unsigned i = 1; i < CLIENT_WORDS; i++)
			sum += a[i] = a[i - 1] + i;
	uint64_t ns = time_now_ns() - start;
	console_printf("bench: client code, a load and a store on the heap: %llu ps per word (sum %llu)\n",
		       (unsigned long long)(ns * 1000 / (CLIENT_ROUNDS * (CLIENT_WORDS - 1))), (unsigned long long)sum);
	heap_free(a);
}

static void put(uint8_t *b, size_t offset, uint64_t v, size_t width)
{
	memcpy(b + offset, &v, width); // little-endian, like the file
}

#define ELF_BENCH_SIZE (1u << 20)
#define ELF_BENCH_ROUNDS 8

// elf_load() of a 1 MiB static executable, built here: an ELF header, one program header, and a
// single read-and-execute segment of the whole file at 0x400000 (every page copied).
static void bench_elf_load(void)
{
	uint8_t *b = heap_zalloc(ELF_BENCH_SIZE);
	if (!b)
		panic("bench: no memory");
	static const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1}; // 64-bit, little-endian, version 1
	memcpy(b, ident, sizeof(ident));
	put(b, 16, 2, 2);		// e_type: ET_EXEC
	put(b, 18, 62, 2);		// e_machine: EM_X86_64
	put(b, 20, 1, 4);		// e_version
	put(b, 24, 0x400000 + 120, 8);	// e_entry: just past the headers
	put(b, 32, 64, 8);		// e_phoff
	put(b, 52, 64, 2);		// e_ehsize
	put(b, 54, 56, 2);		// e_phentsize
	put(b, 56, 1, 2);		// e_phnum
	put(b, 64, 1, 4);		// p_type: PT_LOAD
	put(b, 68, 5, 4);		// p_flags: PF_R | PF_X
	put(b, 80, 0x400000, 8);	// p_vaddr
	put(b, 88, 0x400000, 8);	// p_paddr
	put(b, 96, ELF_BENCH_SIZE, 8);	// p_filesz
	put(b, 104, ELF_BENCH_SIZE, 8); // p_memsz
	put(b, 112, PAGE_SIZE, 8);	// p_align
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < ELF_BENCH_ROUNDS; i++) {
		struct elf_program p;
		uint64_t start = time_now_ns();
		enum elf_error e = elf_load(&p, b, ELF_BENCH_SIZE, NULL);
		uint64_t ns = time_now_ns() - start;
		if (e != ELF_OK)
			panic("bench: elf_load: %s", elf_error_name(e));
		vm_space_destroy(p.space);
		best = ns < best ? ns : best;
	}
	heap_free(b);
	console_printf("bench: ELF load of a 1 MiB program (elf_load): %llu.%02llu ms (best of %d)\n",
		       (unsigned long long)(best / 1000000), (unsigned long long)(best / 10000 % 100),
		       ELF_BENCH_ROUNDS);
}

#define YIELDS 5000 // per program: at least ROUNDS + 1

// A program that yields forever (yield.S), in its own address space, run by its own task: each
// sched_yield goes to task_yield(), which switches to the other program's task.
struct yielder {
	struct user_mode um; // aligned to 64 by its type
	struct vm_space *space;
	unsigned yields;
	bool timed; // the first program: records the time of each of its yields
};

static int64_t yielder_run(void *arg)
{
	struct yielder *y = arg;
	while (y->yields < YIELDS) {
		enum user_return why = user_mode_run(&y->um);
		if (why == USER_RETURN_SYSCALL && y->um.context.rax == 24) {
			y->um.context.rax = 0;
			if (y->timed && y->yields <= ROUNDS) { // a round: this yield, the other's, back here
				static uint64_t last;
				uint64_t now = time_now_ns();
				if (y->yields)
					round_ns[y->yields - 1] = (now - last) / 2;
				last = now;
			}
			y->yields++;
			task_yield();
		} else if (why == USER_RETURN_PREEMPTED) {
			task_yield();
		} else if (why == USER_RETURN_EXCEPTION) {
			panic("bench: the yield program faulted: %s", user_exception_name(y->um.exception.vector));
		}
	}
	return 0;
}

// Two programs in two address spaces switching through a yield system call: the time per switch,
// like Linux's sched_yield between two processes (system call, task switch, address-space
// switch, floating-point state, return to user mode).
static void bench_user_switch(void)
{
	static struct yielder y[2];
	struct task *t[2];
	for (int i = 0; i < 2; i++) {
		y[i].space = program_load(&y[i].um, user_program_yield, user_program_yield_size);
		y[i].yields = 0;
		y[i].timed = i == 0;
	}
	uint64_t start = time_now_ns();
	for (int i = 0; i < 2; i++)
		if (task_spawn(&t[i], "yielder", yielder_run, &y[i], NULL) != ERR_OK)
			panic("bench: no memory for a task");
	for (int i = 0; i < 2; i++)
		(void)task_join(t[i]);
	uint64_t ns = time_now_ns() - start;
	for (int i = 0; i < 2; i++)
		vm_space_destroy(y[i].space);
	console_printf("bench: user-program switch through sched_yield, two address spaces: %llu ns per switch (%u "
		       "switches)\n",
		       (unsigned long long)(ns / (2 * YIELDS)), 2 * YIELDS);
	figure("user_switch");
}

void kernel_main(void)
{
	if (strcmp(boot_cmdline(), "rows") == 0) { // make bench's frame/floor rows only
		bench_user_switch();
		bench_map_touch_unmap(true);
		bench_copy_from_user(true);
		frame_bench_run(user_program_null_syscall, user_program_null_syscall_size, USER_PROGRAM_BASE, true);
		return;
	}
	bench_client_code();
	bench_elf_load();
	bench_user_switch();
	bench_map_touch_unmap(false);
	bench_map_touch_unmap(true);
	bench_copy_from_user(false);
	bench_copy_from_user(true);
	frame_bench_run(user_program_null_syscall, user_program_null_syscall_size, USER_PROGRAM_BASE, false);
	bench_disk();
	bench_net();
}
