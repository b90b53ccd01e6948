/*
 * cg_json.h: the JSON reader for token headers and payloads.
 *
 * Every request with a token the cache has not seen parses its header and
 * payload, and jansson's own reader spends about 30 ns a byte on that (it
 * reads through a per-character callback and copies every character into a
 * growing buffer before scanning it a second time): half as much again as
 * the RSA verification for a typical access token.  This reader builds the
 * same jansson values in one pass over the text.
 *
 * It accepts exactly what json_loadb(text, len, JSON_REJECT_DUPLICATES)
 * accepts when the text is an object, except a text with a NUL byte (never
 * valid JSON; jansson skips one right after a number), and builds a value json_equal() to
 * jansson's, keys in the same order (test_json and fuzz_json hold it to
 * that): RFC 8259 grammar, only whitespace around the value, valid UTF-8
 * (no overlong forms, surrogates or code points above U+10FFFF), no raw
 * control characters in strings, \u escapes with surrogates paired and no
 * \u0000, duplicate keys refused, integers within int64 (json_integer) and
 * other numbers as jansson reads them (json_real, overflow refused), at
 * most JSON_PARSER_MAX_DEPTH nested values.
 */
#ifndef CG_JSON_H
#define CG_JSON_H

#include <stddef.h>
#include <jansson.h>

/* The object in text[0..len), a new reference; NULL when text is not a
 * JSON object, with *why (if why is not NULL) a static reason. */
json_t *cg_json_read_object(const char *text, size_t len, const char **why);

#endif
