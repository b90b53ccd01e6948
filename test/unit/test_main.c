/*
 * test_main.c: runs every unit suite of src/lib.
 *
 * The RSA keys are generated here, once, before any test runs: Check forks
 * a child per test and the children inherit them.  CK_FORK=no (for
 * valgrind), CK_RUN_SUITE / CK_RUN_CASE / CK_RUN_TAGS and CK_VERBOSITY work
 * as Check documents them.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>

#include "unit.h"

int main(void)
{
    SRunner *sr;
    int failed;
    enum print_output mode = CK_VERBOSE;

    /* Freed memory is filled with a pattern, so a use after free reads
     * garbage instead of the old contents (deterministic failures). */
    mallopt(M_PERTURB, 0xa5);
    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "apr_initialize failed\n");
        return 2;
    }
    ut_keys_init();

    sr = srunner_create(ut_b64_suite());
    srunner_add_suite(sr, ut_json_suite());
    srunner_add_suite(sr, ut_jwt_suite());
    srunner_add_suite(sr, ut_jwks_suite());
    srunner_add_suite(sr, ut_keystore_suite());
    srunner_add_suite(sr, ut_claims_suite());
    srunner_add_suite(sr, ut_mirror_suite());
    srunner_add_suite(sr, ut_pool_suite());
    srunner_add_suite(sr, ut_tokencache_suite());
    srunner_add_suite(sr, ut_identity_suite());
    srunner_add_suite(sr, ut_seal_suite());
    srunner_add_suite(sr, ut_session_suite());
    srunner_add_suite(sr, ut_cookie_suite());
    srunner_add_suite(sr, ut_url_suite());
    srunner_add_suite(sr, ut_oauth_suite());
    srunner_add_suite(sr, ut_idp_suite());

    if (getenv("CK_VERBOSITY")) {
        mode = CK_ENV;
    }
    srunner_run_all(sr, mode);
    failed = srunner_ntests_failed(sr);
    printf("%d test(s) run, %d failed\n", srunner_ntests_run(sr), failed);
    srunner_free(sr);

    ut_keys_free();
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
