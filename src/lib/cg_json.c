/* cg_json.c: one-pass strict JSON reader building jansson values (see
 * cg_json.h for what it accepts and why it exists). */
#include <stdlib.h>
#include <string.h>

#include "cg_json.h"

typedef struct {
    const unsigned char *s;     /* next unread byte */
    const unsigned char *end;
    int depth;
    const char *why;            /* the first reason to refuse */
} reader_t;

static json_t *read_value(reader_t *r);

static void *refuse(reader_t *r, const char *why)
{
    if (!r->why) {
        r->why = why;
    }
    return NULL;
}

static void skip_space(reader_t *r)
{
    while (r->s < r->end
           && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n'
               || *r->s == '\r')) {
        r->s++;
    }
}

/* The length of the UTF-8 sequence at s, 0 when it is not one jansson
 * accepts: no continuation byte first, no overlong form, no surrogate, no
 * code point above U+10FFFF. */
static size_t utf8_length(const unsigned char *s, const unsigned char *end)
{
    unsigned long cp;
    size_t n, i;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] < 0xC2) {
        return 0;
    }
    if (s[0] < 0xE0) {
        n = 2;
        cp = s[0] & 0x1F;
    }
    else if (s[0] < 0xF0) {
        n = 3;
        cp = s[0] & 0x0F;
    }
    else if (s[0] < 0xF5) {
        n = 4;
        cp = s[0] & 0x07;
    }
    else {
        return 0;
    }
    if ((size_t)(end - s) < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
        || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/* Four hex digits at s as a number, -1 when they are not. */
static long hex4(const unsigned char *s, const unsigned char *end)
{
    long v = 0;
    int i;

    if (end - s < 4) {
        return -1;
    }
    for (i = 0; i < 4; i++) {
        unsigned char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        }
        else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        }
        else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        }
        else {
            return -1;
        }
    }
    return v;
}

static unsigned char *put_utf8(unsigned char *o, long cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    }
    else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    else {
        *o++ = (unsigned char)(0xF0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* The \uXXXX escape (or surrogate pair) whose backslash is at *pp, as a
 * code point, and *pp moved past it; -1 when it is not a valid one. */
static long unicode_escape(reader_t *r, const unsigned char **pp)
{
    const unsigned char *p = *pp + 2;   /* past the "\u" */
    long cp = hex4(p, r->end), low;
    const char *why = NULL;

    p += 4;
    if (cp < 0) {
        why = "invalid \\u escape";
    }
    else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        why = "unpaired low surrogate";
    }
    else if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u'
            || (low = hex4(p + 2, r->end)) < 0xDC00 || low > 0xDFFF) {
            why = "unpaired high surrogate";
        }
        else {
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
    }
    else if (cp == 0) {
        why = "\\u0000 in a string";
    }
    if (why) {
        refuse(r, why);
        return -1;
    }
    *pp = p;
    return cp;
}

/* The string whose opening quote is at r->s.  *out points into the text
 * when the string has no escapes, else to a malloc'd copy (*owned set)
 * the caller frees; either way *out_len bytes, no NUL among them. */
static int read_string(reader_t *r, const char **out, size_t *out_len,
                       int *owned)
{
    const unsigned char *start = r->s + 1, *p = start;
    unsigned char *buf, *o;
    size_t n;

    *out = NULL;
    *out_len = 0;
    *owned = 0;
    /* Most strings have no escapes: point at them where they are. */
    while (p < r->end && *p != '"' && *p != '\\') {
        if (*p >= 0x20 && *p < 0x80) {
            p++;
            continue;
        }
        if (*p < 0x20) {
            return !!refuse(r, "control character in a string");
        }
        n = utf8_length(p, r->end);
        if (!n) {
            return !!refuse(r, "invalid UTF-8 in a string");
        }
        p += n;
    }
    if (p >= r->end) {
        return !!refuse(r, "unterminated string");
    }
    if (*p == '"') {
        *out = (const char *)start;
        *out_len = (size_t)(p - start);
        r->s = p + 1;
        return 1;
    }
    /* Escapes never make a string longer than its text. */
    o = buf = malloc((size_t)(r->end - start) + 1);
    if (!buf) {
        return !!refuse(r, "out of memory");
    }
    memcpy(o, start, (size_t)(p - start));
    o += p - start;
    for (;;) {
        long cp;

        if (p >= r->end) {
            free(buf);
            return !!refuse(r, "unterminated string");
        }
        if (*p == '"') {
            break;
        }
        if (*p < 0x20) {
            free(buf);
            return !!refuse(r, "control character in a string");
        }
        if (*p != '\\') {
            n = utf8_length(p, r->end);
            if (!n) {
                free(buf);
                return !!refuse(r, "invalid UTF-8 in a string");
            }
            memcpy(o, p, n);
            o += n;
            p += n;
            continue;
        }
        if (r->end - p < 2) {
            free(buf);
            return !!refuse(r, "unterminated string");
        }
        switch (p[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            cp = unicode_escape(r, &p);
            if (cp < 0) {
                free(buf);
                return 0;
            }
            o = put_utf8(o, cp);
            continue;
        default:
            free(buf);
            return !!refuse(r, "invalid escape in a string");
        }
        p += 2;
    }
    *out = (const char *)buf;
    *out_len = (size_t)(o - buf);
    *owned = 1;
    r->s = p + 1;
    return 1;
}

/* A number: integers that fit in int64 here, anything with a fraction or
 * an exponent through jansson, so reals come out exactly as it makes
 * them (and its overflow rules apply). */
static json_t *read_number(reader_t *r)
{
    const unsigned char *start = r->s, *p = r->s;
    unsigned long long v = 0, limit = 9223372036854775807ULL;
    int negative = 0, integer = 1;

    if (*p == '-') {
        negative = 1;
        limit += 1;
        p++;
    }
    if (p >= r->end || *p < '0' || *p > '9') {
        return refuse(r, "invalid number");
    }
    if (*p == '0') {
        p++;
    }
    else {
        while (p < r->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < r->end && *p == '.') {
        integer = 0;
        p++;
        if (p >= r->end || *p < '0' || *p > '9') {
            return refuse(r, "invalid number");
        }
        while (p < r->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        if (p < r->end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= r->end || *p < '0' || *p > '9') {
            return refuse(r, "invalid number");
        }
        while (p < r->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    r->s = p;
    if (!integer) {
        json_t *real = json_loadb((const char *)start, (size_t)(p - start),
                                  JSON_DECODE_ANY, NULL);
        return real ? real : refuse(r, "real number out of range");
    }
    for (p = start + negative; p < r->s; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (v > (limit - digit) / 10) {
            return refuse(r, "integer out of range");
        }
        v = v * 10 + digit;
    }
    if (negative) {
        /* -(v - 1) - 1 stays in range for v == 2^63. */
        return json_integer(v ? -(json_int_t)(v - 1) - 1 : 0);
    }
    return json_integer((json_int_t)v);
}

static json_t *read_literal(reader_t *r, const char *word, json_t *value)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->s) < n || memcmp(r->s, word, n) != 0) {
        return refuse(r, "invalid literal");
    }
    r->s += n;
    return value;
}

static json_t *read_array(reader_t *r)
{
    json_t *array = json_array(), *v;

    if (!array) {
        return refuse(r, "out of memory");
    }
    r->s++;
    skip_space(r);
    if (r->s < r->end && *r->s == ']') {
        r->s++;
        return array;
    }
    for (;;) {
        v = read_value(r);
        if (!v || json_array_append_new(array, v) != 0) {
            json_decref(array);
            return refuse(r, "out of memory");
        }
        skip_space(r);
        if (r->s < r->end && *r->s == ',') {
            r->s++;
            continue;
        }
        if (r->s < r->end && *r->s == ']') {
            r->s++;
            return array;
        }
        json_decref(array);
        return refuse(r, "',' or ']' expected");
    }
}

static json_t *read_object(reader_t *r)
{
    json_t *object = json_object(), *v;

    if (!object) {
        return refuse(r, "out of memory");
    }
    r->s++;
    skip_space(r);
    if (r->s < r->end && *r->s == '}') {
        r->s++;
        return object;
    }
    for (;;) {
        const char *key;
        size_t key_len;
        int owned, ok;

        skip_space(r);
        if (r->s >= r->end || *r->s != '"') {
            json_decref(object);
            return refuse(r, "string key expected");
        }
        if (!read_string(r, &key, &key_len, &owned)) {
            json_decref(object);
            return NULL;
        }
        skip_space(r);
        ok = 0;
        if (json_object_getn(object, key, key_len)) {
            refuse(r, "duplicate object key");
        }
        else if (r->s >= r->end || *r->s != ':') {
            refuse(r, "':' expected");
        }
        else {
            r->s++;
            v = read_value(r);
            ok = v && json_object_setn_new_nocheck(object, key, key_len,
                                                   v) == 0;
        }
        if (owned) {
            free((char *)key);
        }
        if (!ok) {
            json_decref(object);
            return refuse(r, "out of memory");
        }
        skip_space(r);
        if (r->s < r->end && *r->s == ',') {
            r->s++;
            continue;
        }
        if (r->s < r->end && *r->s == '}') {
            r->s++;
            return object;
        }
        json_decref(object);
        return refuse(r, "',' or '}' expected");
    }
}

static json_t *read_value(reader_t *r)
{
    json_t *v;

    /* jansson counts every value, scalars too, against its limit. */
    if (++r->depth > JSON_PARSER_MAX_DEPTH) {
        return refuse(r, "nested too deeply");
    }
    skip_space(r);
    if (r->s >= r->end) {
        return refuse(r, "unexpected end of text");
    }
    switch (*r->s) {
    case '{':
        v = read_object(r);
        break;
    case '[':
        v = read_array(r);
        break;
    case '"': {
        const char *s;
        size_t n;
        int owned;

        if (!read_string(r, &s, &n, &owned)) {
            return NULL;
        }
        v = json_stringn_nocheck(s, n);
        if (owned) {
            free((char *)s);
        }
        if (!v) {
            return refuse(r, "out of memory");
        }
        break;
    }
    case 't':
        v = read_literal(r, "true", json_true());
        break;
    case 'f':
        v = read_literal(r, "false", json_false());
        break;
    case 'n':
        v = read_literal(r, "null", json_null());
        break;
    default:
        v = (*r->s == '-' || (*r->s >= '0' && *r->s <= '9'))
            ? read_number(r) : refuse(r, "unexpected character");
    }
    r->depth--;
    return v;
}

json_t *cg_json_read_object(const char *text, size_t len, const char **why)
{
    reader_t r;
    json_t *v;

    r.s = (const unsigned char *)text;
    r.end = r.s + len;
    r.depth = 0;
    r.why = NULL;
    skip_space(&r);
    if (r.s >= r.end || *r.s != '{') {
        v = refuse(&r, "not a JSON object");
    }
    else {
        v = read_value(&r);
        skip_space(&r);
        if (v && r.s != r.end) {
            json_decref(v);
            v = refuse(&r, "text after the object");
        }
    }
    if (!v && why) {
        *why = r.why ? r.why : "invalid JSON";
    }
    return v;
}
