// The virtio-net driver (<drivers/virtio_net.h>) against tests/test_virtio_net.py, which holds the
// other end of QEMU's `-netdev socket,udp=...` on 127.0.0.1. The kernel prints its MAC address,
// sends one frame (broadcast, type 0x88b5, "hello from the frame") and prints every frame it
// receives (length, type, FNV-1a hash, the text of its payload) until one says "end". The command
// line picks another case instead: "burst" sends "ready" and then does not read for two seconds
// while the test sends more frames than the receive ring holds; "send" sends frames of the sizes
// the bench asks for; "small-buffer" and "unopened" are misuses.
#include <drivers/virtio_net.h>
#include <frame/frame.h>

#define TYPE 0x88b5 // IEEE 802 local experimental EtherType

static struct virtio_net *net;
static uint8_t frame[VIRTIO_NET_FRAME_MAX];

static void check(enum err e, const char *what)
{
	if (e != ERR_OK)
		panic("%s: %s", what, err_name(e));
}

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

// A broadcast frame of len bytes from the card, type TYPE, its payload text then zeros.
static void send_text(const char *text, size_t len)
{
	struct virtio_net_addr mac = virtio_net_mac(net);
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac.bytes, 6);
	frame[12] = TYPE >> 8;
	frame[13] = TYPE & 0xff;
	memcpy(frame + 14, text, strlen(text));
	check(virtio_net_send(net, frame, len), "send");
}

// The payload's text: up to the first byte that is not printable, at most 40.
static void print_frame(const uint8_t *f, size_t len)
{
	char text[41];
	size_t n = 0;
	while (n < 40 && 14 + n < len && f[14 + n] >= ' ' && f[14 + n] < 127) {
		text[n] = (char)f[14 + n];
		n++;
	}
	text[n] = 0;
	console_printf("virtio-net: received %zu bytes, type 0x%02x%02x, hash %08x, '%s'\n", len, f[12], f[13],
		       fnv1a(f, len), text);
}

static void print_stats(void)
{
	struct virtio_net_stats s = virtio_net_stats(net);
	console_printf("virtio-net: sent %llu, received %llu, dropped %llu, runts %llu, bad %llu\n",
		       (unsigned long long)s.sent, (unsigned long long)s.received, (unsigned long long)s.dropped,
		       (unsigned long long)s.runts, (unsigned long long)s.bad);
}

// Print every frame until one says "end" (or nothing comes for 20 seconds).
static void exchange(void)
{
	static uint8_t in[VIRTIO_NET_FRAME_MAX];
	send_text("hello from the frame", 60);
	console_printf("virtio-net: send 13 bytes: %s\n", err_name(virtio_net_send(net, frame, 13)));
	console_printf("virtio-net: send %d bytes: %s\n", VIRTIO_NET_FRAME_MAX + 1,
		       err_name(virtio_net_send(net, frame, VIRTIO_NET_FRAME_MAX + 1)));
	for (;;) {
		size_t len;
		check(virtio_net_receive(net, in, sizeof(in), &len, SEC(20)), "receive");
		print_frame(in, len);
		if (len >= 17 && memcmp(in + 14, "end", 3) == 0)
			break;
	}
	print_stats();
}

// More frames than the ring holds arrive while nobody reads: the queue keeps the first, the rest
// are dropped and counted.
static void burst(void)
{
	static uint8_t in[VIRTIO_NET_FRAME_MAX];
	send_text("ready", 60);
	task_sleep(SEC(2));
	size_t len;
	unsigned taken = 0, in_order = 0;
	while (virtio_net_receive(net, in, sizeof(in), &len, MSEC(500)) == ERR_OK) {
		uint32_t seq;
		memcpy(&seq, in + 14, 4);
		in_order += seq == taken;
		taken++;
	}
	console_printf("virtio-net: burst: took %u frames, %u in order\n", taken, in_order);
	print_stats();
	// The ring was full all along: a frame sent now still arrives.
	send_text("again", 60);
	check(virtio_net_receive(net, in, sizeof(in), &len, SEC(20)), "receive after the burst");
	print_frame(in, len);
}

// The bench: n frames of len bytes, as fast as the card takes them, timed.
static void send_many(size_t len, unsigned n)
{
	uint64_t start = time_now_ns();
	for (unsigned i = 0; i < n; i++)
		send_text("bench", len);
	uint64_t ns = time_now_ns() - start;
	console_printf("virtio-net: sent %u frames of %zu bytes in %llu us\n", n, len, (unsigned long long)(ns / 1000));
}

void kernel_main(void)
{
	const char *cmd = boot_cmdline();
	if (strcmp(cmd, "unopened") == 0) { // no virtio_net_open(): net is NULL
		console_printf("virtio-net: send: %s\n", err_name(virtio_net_send(net, frame, 60)));
		return;
	}
	struct pci_device *dev = virtio_net_find(NULL);
	if (!dev) {
		console_printf("virtio-net: no device\n");
		return;
	}
	check(virtio_net_open(&net, dev), "virtio_net_open");
	struct virtio_net_addr mac = virtio_net_mac(net);
	console_printf("virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac.bytes[0], mac.bytes[1], mac.bytes[2],
		       mac.bytes[3], mac.bytes[4], mac.bytes[5]);
	if (strcmp(cmd, "small-buffer") == 0) {
		uint8_t small[1000];
		size_t len;
		console_printf("virtio-net: receive: %s\n",
			       err_name(virtio_net_receive(net, small, sizeof(small), &len, MSEC(10))));
	} else if (strcmp(cmd, "burst") == 0) {
		burst();
	} else if (strcmp(cmd, "send") == 0) {
		send_many(64, 2000);
		send_many(1500, 2000);
	} else {
		exchange();
	}
}
