/* llt/version: the running library against the compiled-in version. */
#include <limits.h>
#include <string.h>

#include <llt/version.h>

#include "testutil.h"

START_TEST(version_string)
{
	ck_assert_str_eq(llt_version(), LLT_VERSION_STRING);
	char want[32];
	snprintf(want, sizeof want, "%d.%d.%d", LLT_VERSION_MAJOR, LLT_VERSION_MINOR, LLT_VERSION_PATCH);
	ck_assert_str_eq(llt_version(), want);
	ck_assert_int_eq(LLT_VERSION_NUMBER,
			 (LLT_VERSION_MAJOR << 16) | (LLT_VERSION_MINOR << 8) | LLT_VERSION_PATCH);
}
END_TEST

START_TEST(version_check_orders_components)
{
	unsigned M = LLT_VERSION_MAJOR, m = LLT_VERSION_MINOR, p = LLT_VERSION_PATCH;
	ck_assert(llt_version_check(M, m, p));
	ck_assert(llt_version_check(0, 0, 0));
	ck_assert(!llt_version_check(M, m, p + 1));
	ck_assert(!llt_version_check(M, m + 1, 0));
	ck_assert(!llt_version_check(M + 1, 0, 0));
	if (p > 0)
		ck_assert(llt_version_check(M, m, p - 1));
	if (m > 0)
		ck_assert(llt_version_check(M, m - 1, UINT_MAX));
	/* No component wraps at 256 (or anywhere). */
	ck_assert(!llt_version_check(M, m + 256, p));
	ck_assert(!llt_version_check(M, m, p + 256));
	ck_assert(!llt_version_check(M + 256, m, p));
	ck_assert(!llt_version_check(UINT_MAX, 0, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("version");
	TCase *tc = tcase_create("version");
	tcase_add_test(tc, version_string);
	tcase_add_test(tc, version_check_orders_components);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
