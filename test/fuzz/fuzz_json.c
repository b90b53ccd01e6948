/*
 * fuzz_json: cg_json_read_object against jansson.
 *
 * Input: the text itself.
 *
 * What must hold: the reader accepts exactly the texts that
 * json_loadb(..., JSON_REJECT_DUPLICATES) reads as an object, except that
 * it refuses every text with a NUL byte (never valid JSON; jansson skips
 * one that follows a number), and what it builds is json_equal to
 * jansson's value with the members in the same order (the dumps match
 * byte for byte).
 */
#include <stdlib.h>
#include <string.h>

#include "cg_json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    json_t *ours = cg_json_read_object((const char *)data, size, &why);
    json_t *theirs = json_loadb((const char *)data, size,
                                JSON_REJECT_DUPLICATES, NULL);
    char *a, *b;

    if (memchr(data, 0, size)) {
        FZ_ASSERT(!ours, "a text with a NUL byte accepted");
        json_decref(theirs);
        return 0;
    }
    if (theirs && !json_is_object(theirs)) {
        json_decref(theirs);
        theirs = NULL;
    }
    FZ_ASSERT(!ours == !theirs, "cg_json %s what jansson %s (%s)",
              ours ? "accepts" : "refuses", theirs ? "accepts" : "refuses",
              ours ? "" : why);
    FZ_ASSERT(ours || (why && *why), "a refusal without a reason");
    if (ours) {
        FZ_ASSERT(json_equal(ours, theirs), "the values differ");
        a = json_dumps(ours, JSON_COMPACT | JSON_ENCODE_ANY);
        b = json_dumps(theirs, JSON_COMPACT | JSON_ENCODE_ANY);
        FZ_ASSERT(a && b && !strcmp(a, b), "the dumps differ:\n%s\n%s",
                  a ? a : "(null)", b ? b : "(null)");
        free(a);
        free(b);
    }
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
