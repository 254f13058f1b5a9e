// A KTAP run with a failure, a failed equality, a skip and passes around them.
#include <frame/frame.h>

KTEST(passes_first)
{
	KTEST_ASSERT(1 + 1 == 2);
}

KTEST(fails_an_assertion)
{
	int two = 2;
	KTEST_ASSERT(two + 1 == 4);
	console_printf("# not reached\n");
}

KTEST(fails_an_equality)
{
	KTEST_ASSERT_EQ(6 * 7, 41);
}

KTEST(is_skipped)
{
	KTEST_SKIP("nothing to do here");
}

KTEST(passes_after_failures)
{
	KTEST_EXPECT(strlen("frame") == 5);
}

void kernel_main(void)
{
	ktest_main();
}
