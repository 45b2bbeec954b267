/* The exported functions of READER-INTERFACE.md §2: parse the caller's strings, run the card
 * and PSAM steps (card.c), format the output strings. */
#include "sscreader.h"

#include <iconv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"

#define EXPORT __attribute__((visibility("default")))

/* The files and items iReadCard/iWriteCard know: every record file of the social security
 * application the interface addresses (ssc/reader_interface/data/reader_interface.yaml `files`,
 * PROFILE.md §3.1-§3.3), with the access rules of the profile data (common.yaml, gen3.yaml). */
enum { NO_KEY = 0xFF };

/* How a file is opened for reading: the profile's read rule. */
enum { R_FREE, R_PIN, R_KEY, R_PIN_OR_KEY, R_PIN_AND_KEY };

typedef struct {
    const char *name;
    uint8_t aid[6]; /* DF to select by name; aid_len 0 = SSSE */
    size_t aid_len;
    uint8_t sfi;
    uint8_t read_rule;
    uint8_t read_key;  /* the key of R_KEY / R_PIN_OR_KEY / R_PIN_AND_KEY */
    uint8_t write_key; /* AUTH key of the update rule, or its SM key when write_sm */
    uint8_t write_pin; /* the update rule also needs the PIN */
    uint8_t write_sm;  /* every UPDATE RECORD carries a MAC under write_key (CLA 04) */
} file_t;

typedef struct {
    const char *file;
    uint8_t tag;
    uint8_t len;
    char fmt; /* a = an (00-padded text), c = cn (BCD, F-padded), b = binary (hex) */
    uint8_t record; /* record number on gen2/gen3 cards (UPDATE RECORD) */
} item_t;

#define DF(n) {0xD1, 0x56, 0x00, 0x00, 0x05, (n)}, 6
static const file_t FILES[] = {
    {"SSSEEF05", {0}, 0, 0x05, R_FREE, NO_KEY, 0x04, 0, 0},
    {"SSSEEF06", {0}, 0, 0x06, R_FREE, NO_KEY, 0x04, 0, 0}, /* gen3: AUTH RKSSSE, see read_plan */
    {"DF01EF05", DF(0x00), 0x05, R_FREE, NO_KEY, 0x11, 0, 0},
    {"DF01EF06", DF(0x00), 0x06, R_FREE, NO_KEY, 0x12, 0, 0},
    {"DF02EF06", DF(0x01), 0x06, R_PIN, NO_KEY, 0x21, 0, 0},
    {"DF03EF05", DF(0x02), 0x05, R_KEY, 0x31, 0x32, 0, 0},
    {"DF03EF07", DF(0x02), 0x07, R_PIN_OR_KEY, 0x32, 0x32, 0, 0},
    {"DF04EF05", DF(0x03), 0x05, R_PIN_AND_KEY, 0x41, 0x42, 1, 0},
    {"DF04EF06", DF(0x03), 0x06, R_FREE, NO_KEY, 0x43, 0, 1},
};
#undef DF

static const item_t ITEMS[] = {
    {"SSSEEF05", 0x01, 16, 'b', 1}, {"SSSEEF05", 0x02, 1, 'a', 2},  {"SSSEEF05", 0x03, 4, 'a', 3},
    {"SSSEEF05", 0x04, 12, 'c', 4}, {"SSSEEF05", 0x05, 4, 'c', 5},  {"SSSEEF05", 0x06, 4, 'c', 6},
    {"SSSEEF05", 0x07, 9, 'a', 7},  {"SSSEEF06", 0x08, 18, 'a', 1}, {"SSSEEF06", 0x09, 30, 'a', 2},
    {"SSSEEF06", 0x4E, 20, 'a', 3}, {"SSSEEF06", 0x0A, 1, 'a', 4},  {"SSSEEF06", 0x0B, 1, 'c', 5},
    {"SSSEEF06", 0x0C, 3, 'c', 6},  {"SSSEEF06", 0x0D, 4, 'c', 7},  {"DF01EF05", 0x20, 3, 'c', 1},
    {"DF01EF05", 0x21, 60, 'a', 2}, {"DF01EF06", 0x22, 3, 'c', 1},  {"DF01EF06", 0x23, 60, 'a', 2},
    {"DF02EF06", 0x30, 1, 'a', 1},  {"DF02EF06", 0x31, 9, 'a', 2},  {"DF03EF05", 0x40, 1, 'a', 1},
    {"DF03EF05", 0x41, 2, 'c', 2},  {"DF03EF07", 0x42, 1, 'a', 1},  {"DF03EF07", 0x43, 4, 'b', 2},
    {"DF04EF05", 0x50, 2, 'a', 1},  {"DF04EF05", 0x51, 3, 'c', 2},  {"DF04EF06", 0x52, 3, 'c', 1},
    {"DF04EF06", 0x53, 4, 'c', 2},  {"DF04EF06", 0x54, 4, 'b', 3},
};

enum { KEY_PUK = 0x06, KEY_RKSSSE = 0x0A, SFI_EF05 = 0x05, SFI_EF06 = 0x06 };

/* ---- small helpers ------------------------------------------------------------------------ */

static void put(char *out, const char *text)
{
    snprintf(out, SSCREADER_OUT_MAX, "%s", text);
    if (fault("overrun"))
        memset(out + SSCREADER_OUT_MAX, 'X', 16); /* the kit's guard pattern must notice */
}

static const file_t *find_file(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        if (strlen(FILES[i].name) == len && strncmp(FILES[i].name, name, len) == 0)
            return &FILES[i];
    return NULL;
}

static const item_t *find_item(const char *file, uint8_t tag)
{
    for (size_t i = 0; i < sizeof ITEMS / sizeof ITEMS[0]; i++)
        if (strcmp(ITEMS[i].file, file) == 0 && ITEMS[i].tag == tag)
            return &ITEMS[i];
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static long parse_hex(const char *text, size_t text_len, uint8_t *out, size_t out_len)
{
    if (text_len != 2 * out_len)
        return RC_BAD_PARAMETER;
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return RC_BAD_PARAMETER;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return RC_OK;
}

/* Text without its 00 padding. */
static void text_value(const uint8_t *value, size_t len, char *out)
{
    while (len > 0 && value[len - 1] == 0x00)
        len--;
    memcpy(out, value, len);
    out[len] = '\0';
}

static void decode_item(const item_t *item, const uint8_t *value, size_t len, char *out)
{
    if (item->fmt == 'b')
        to_hex(value, len, out);
    else if (item->fmt == 'c')
        bcd_digits(value, len, out);
    else
        text_value(value, len, out);
}

static long encode_item(const item_t *item, const char *text, size_t text_len, uint8_t *value)
{
    memset(value, item->fmt == 'c' ? 0xFF : 0x00, item->len);
    if (item->fmt == 'b')
        return parse_hex(text, text_len, value, item->len);
    if (item->fmt == 'a') {
        if (text_len > item->len)
            return RC_BAD_PARAMETER;
        memcpy(value, text, text_len);
        return RC_OK;
    }
    if (text_len > 2u * item->len)
        return RC_BAD_PARAMETER;
    for (size_t i = 0; i < text_len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return RC_BAD_PARAMETER;
        uint8_t d = (uint8_t)(text[i] - '0');
        value[i / 2] = (uint8_t)(i % 2 ? (value[i / 2] & 0xF0) | d : (d << 4) | 0x0F);
    }
    return RC_OK;
}

/* GBK → UTF-8: only ever used by the utf8_name fault. */
static void gbk_to_utf8(char *text, size_t size)
{
    char converted[512];
    iconv_t cd = iconv_open("UTF-8", "GBK");
    if (cd == (iconv_t)-1)
        return;
    char *in = text, *outp = converted;
    size_t in_left = strlen(text), out_left = sizeof converted - 1;
    if (iconv(cd, &in, &in_left, &outp, &out_left) != (size_t)-1) {
        *outp = '\0';
        snprintf(text, size, "%s", converted);
    }
    iconv_close(cd);
}

/* ---- PIN pad (the reference library reads its test input) --------------------------------- */

static long pinpad(int index, char *pin, size_t size)
{
    const char *input = getenv("SSCREADER_PINPAD");
    if (input == NULL)
        return RC_PINPAD;
    for (int i = 0; i < index; i++) {
        input = strchr(input, '|');
        if (input == NULL)
            return RC_PINPAD;
        input++;
    }
    size_t len = strcspn(input, "|");
    if (len < 4 || len > 12 || len >= size)
        return RC_PINPAD;
    for (size_t i = 0; i < len; i++)
        if (input[i] < '0' || input[i] > '9')
            return RC_PINPAD;
    memcpy(pin, input, len);
    pin[len] = '\0';
    return RC_OK;
}

static size_t pin_bcd(const char *pin, uint8_t *out)
{
    size_t n = strlen(pin), bytes = (n + 1) / 2;
    memset(out, 0xFF, bytes);
    for (size_t i = 0; i < n; i++) {
        uint8_t d = (uint8_t)(pin[i] - '0');
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] & 0xF0) | d : (d << 4) | 0x0F);
    }
    return bytes;
}

/* A PIN command's status word: 63Cx → −51 with x in pOutInfo, 6983 → −52. */
static long pin_result(long rc, char *out)
{
    if (rc < 0 && ((-rc) & 0xFFF0) == 0x63C0) {
        char tries[4];
        snprintf(tries, sizeof tries, "%ld", (-rc) & 0x0F);
        put(out, tries);
        return RC_PIN_WRONG;
    }
    if (rc == -0x6983)
        return RC_PIN_LOCKED;
    return rc;
}

static long verify_pin(session_t *s, char *out)
{
    char pin[16];
    long rc = pinpad(0, pin, sizeof pin);
    if (rc != RC_OK)
        return rc;
    uint8_t cmd[5 + 8] = {0x00, 0x20, 0x00, 0x00};
    size_t n = pin_bcd(pin, cmd + 5);
    cmd[4] = (uint8_t)n;
    return pin_result(card_cmd(s, cmd, 5 + n, NULL, NULL), out);
}

/* pCardInfo `cardId|cardNo|` must name the card in the reader (empty: no check). */
static long check_card_info(session_t *s, const char *info)
{
    if (info == NULL || *info == '\0')
        return RC_OK;
    const char *bar = strchr(info, '|');
    uint8_t id[16];
    if (bar == NULL || parse_hex(info, (size_t)(bar - info), id, sizeof id) != RC_OK)
        return RC_BAD_PARAMETER;
    if (memcmp(id, s->card_id, sizeof id) != 0)
        return RC_DATA_MISMATCH;
    uint8_t number[16];
    size_t len = sizeof number;
    long rc = read_tag(s, SFI_EF05, 0x07, number, &len);
    if (rc != RC_OK)
        return rc;
    const char *no = bar + 1;
    size_t no_len = strcspn(no, "|");
    if (no_len != len || memcmp(no, number, len) != 0)
        return RC_DATA_MISMATCH;
    return RC_OK;
}

static long select_file(session_t *s, const file_t *f)
{
    return f->aid_len == 0 ? select_ssse(s) : select_aid(s, f->aid, f->aid_len);
}

/* ---- basic information (§3) --------------------------------------------------------------- */

static long read_text(session_t *s, uint8_t sfi, uint8_t tag, char *out, int optional)
{
    uint8_t value[64];
    size_t len = sizeof value;
    long rc = read_tag(s, sfi, tag, value, &len);
    if (optional && (rc == -0x6A83 || rc == -0x6A82)) {
        *out = '\0';
        return RC_OK;
    }
    if (rc == RC_OK)
        text_value(value, len, out);
    return rc;
}

static long read_bcd(session_t *s, uint8_t sfi, uint8_t tag, char *out)
{
    uint8_t value[16];
    size_t len = sizeof value;
    long rc = read_tag(s, sfi, tag, value, &len);
    if (rc == RC_OK)
        bcd_digits(value, len, out);
    return rc;
}

/* Readers read exactly 9 bytes of record 07: READ RECORD 07 by number, Le 0B (tag, length, 9). */
static long read_card_number(session_t *s, char *out)
{
    uint8_t cmd[5] = {0x00, 0xB2, 0x07, (uint8_t)(SFI_EF05 << 3 | 0x04), 0x0B}, rec[32];
    size_t len = sizeof rec;
    long rc = card_cmd(s, cmd, sizeof cmd, rec, &len);
    if (rc != RC_OK)
        return rc;
    if (len != 11 || rec[0] != 0x07)
        return RC_ILLEGAL_DATA;
    memcpy(out, rec + 2, 9);
    out[9] = '\0';
    if (fault("card_no_10"))
        strcat(out, "0");
    return RC_OK;
}

/* Reads the items and formats them; the gen3 RKSSSE authentication is done by the caller. */
static long basic_info(session_t *s, const char *terminal_no, const char *device_no, char *out)
{
    char ssn[64], name[512], ext[64], number[16], version[16], issued[16], expires[16];
    char card_id[33], hist_hex[2 * 32 + 1], region[7];
    long rc;
    if ((rc = select_ssse(s)) != RC_OK)
        return rc;
    if ((rc = read_card_number(s, number)) != RC_OK || (rc = read_text(s, SFI_EF05, 0x03, version, 0)) != RC_OK ||
        (rc = read_bcd(s, SFI_EF05, 0x05, issued)) != RC_OK || (rc = read_bcd(s, SFI_EF05, 0x06, expires)) != RC_OK ||
        (rc = read_text(s, SFI_EF06, 0x08, ssn, 0)) != RC_OK || (rc = read_text(s, SFI_EF06, 0x09, name, 0)) != RC_OK ||
        (rc = read_text(s, SFI_EF06, 0x4E, ext, 1)) != RC_OK)
        return rc;
    strcat(name, ext);
    if (fault("utf8_name"))
        gbk_to_utf8(name, sizeof name);
    to_hex(s->card_id, 16, card_id);
    const uint8_t *hist;
    size_t k = atr_historical(s->dev.card.atr, s->dev.card.atr_len, &hist);
    to_hex(hist, k, hist_hex);
    snprintf(region, sizeof region, "%s", s->region);
    const char *second = ssn, *third = number;
    if (fault("wrong_field_order")) {
        second = number;
        third = ssn;
    }
    char text[SSCREADER_OUT_MAX];
    snprintf(text, sizeof text, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s%s", region, second, third, card_id, name, hist_hex,
             version, issued, expires, terminal_no, device_no, fault("no_trailing_bar") ? "" : "|");
    put(out, text);
    return RC_OK;
}

static long rksse_auth(session_t *s)
{
    if (!s->gen3 || fault("no_rksse_auth") || !s->have_psam)
        return RC_OK;
    long rc = external_auth(s, KEY_RKSSSE);
    return rc == -0x6A88 ? RC_PSAM_NO_RKSSSE : rc;
}

EXPORT long iReadCardBas(int iType, char *pOutInfo)
{
    session_t s;
    char terminal_no[32] = "", device_no[40] = "";
    if (fault("crash"))
        raise(SIGSEGV);
    long rc = session_open(&s, iType, 1);
    if (rc == RC_OK)
        rc = check_card(&s);
    if (rc == RC_OK)
        rc = rksse_auth(&s);
    if (rc == RC_OK && s.have_psam)
        rc = psam_terminal_numbers(&s, terminal_no, sizeof terminal_no, device_no, sizeof device_no);
    if (rc == RC_OK)
        rc = basic_info(&s, terminal_no, device_no, pOutInfo);
    session_close(&s);
    return rc;
}

/* ---- iReadCard / iWriteCard --------------------------------------------------------------- */

static long send_with_mac(session_t *s, const uint8_t header[4], const uint8_t *data, size_t len);

/* Calls step(s, file, tags..., values..., ctx) for each `NAME|t|t|$` segment of addr; `data`,
 * when given, is a string of the same shape holding the values. */
typedef long (*file_step)(session_t *s, const file_t *f, const uint8_t *tags, size_t n, char values[][128], void *ctx);

static long split_values(const char *seg, size_t seg_len, char values[][128], size_t max, size_t *n)
{
    *n = 0;
    const char *p = seg, *end = seg + seg_len;
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        if (bar == NULL)
            return RC_BAD_PARAMETER;
        if (*n == max || (size_t)(bar - p) >= 128)
            return RC_BAD_PARAMETER;
        memcpy(values[*n], p, (size_t)(bar - p));
        values[*n][bar - p] = '\0';
        (*n)++;
        p = bar + 1;
    }
    return RC_OK;
}

static long for_each_file(session_t *s, const char *addr, const char *data, file_step step, void *ctx)
{
    if (addr == NULL)
        return RC_BAD_PARAMETER;
    const char *a = addr, *d = data;
    while (*a != '\0') {
        const char *a_end = strchr(a, '$');
        if (a_end == NULL)
            return RC_BAD_PARAMETER;
        char fields[16][128], values[16][128] = {{0}};
        size_t n, m = 0;
        long rc = split_values(a, (size_t)(a_end - a), fields, 16, &n);
        if (rc != RC_OK || n < 2)
            return RC_BAD_PARAMETER;
        const file_t *f = find_file(fields[0], strlen(fields[0]));
        if (f == NULL)
            return RC_BAD_PARAMETER;
        uint8_t tags[16];
        for (size_t i = 1; i < n; i++)
            if (parse_hex(fields[i], strlen(fields[i]), &tags[i - 1], 1) != RC_OK || find_item(f->name, tags[i - 1]) == NULL)
                return RC_BAD_PARAMETER;
        if (d != NULL) {
            const char *d_end = strchr(d, '$');
            if (d_end == NULL)
                return RC_BAD_PARAMETER;
            char dv[16][128];
            if (split_values(d, (size_t)(d_end - d), dv, 16, &m) != RC_OK || m != n || strcmp(dv[0], fields[0]) != 0)
                return RC_BAD_PARAMETER;
            for (size_t i = 1; i < m; i++)
                memcpy(values[i - 1], dv[i], 128);
            d = d_end + 1;
        }
        if ((rc = step(s, f, tags, n - 1, values, ctx)) != RC_OK)
            return rc;
        a = a_end + 1;
    }
    return RC_OK;
}

/* What the library does before reading a file (reader_interface.yaml auth_rules): iAuthType 1 =
 * the PIN only; 2 = the read rule's conditions with the fewest PIN terms, then the fewest keys. */
typedef struct {
    int pin;
    uint8_t key;
} plan_t;

static plan_t read_plan(const session_t *s, const file_t *f, int auth_type)
{
    plan_t p = {0, NO_KEY};
    uint8_t rule = f->read_rule, key = f->read_key;
    if (s->gen3 && strcmp(f->name, "SSSEEF06") == 0) {
        rule = R_KEY; /* gen3: EF06 only after EXTERNAL AUTHENTICATE with RKSSSE */
        key = KEY_RKSSSE;
    }
    if (auth_type == 1) {
        p.pin = 1;
        return p;
    }
    if (rule == R_PIN || rule == R_PIN_AND_KEY)
        p.pin = 1;
    if (rule == R_KEY || rule == R_PIN_OR_KEY || rule == R_PIN_AND_KEY)
        p.key = key;
    return p;
}

typedef struct {
    int auth_type; /* iReadCard's iAuthType; 0 for iWriteCard */
    int need_pin;  /* set by the scan steps */
    char *out;
} job_t;

static long read_scan_step(session_t *s, const file_t *f, const uint8_t *tags, size_t n, char values[][128], void *ctx)
{
    (void)tags, (void)n, (void)values;
    job_t *job = ctx;
    job->need_pin |= read_plan(s, f, job->auth_type).pin;
    return RC_OK;
}

static long write_scan_step(session_t *s, const file_t *f, const uint8_t *tags, size_t n, char values[][128], void *ctx)
{
    (void)s, (void)tags, (void)n, (void)values;
    job_t *job = ctx;
    job->need_pin |= f->write_pin;
    return RC_OK;
}

/* External authentication with a file's key: 6A88 from the PSAM → the PSAM lacks that key. */
static long file_auth(session_t *s, uint8_t key)
{
    if (key == KEY_RKSSSE) {
        if (fault("no_rksse_auth"))
            return RC_OK;
        long rc = external_auth(s, key);
        return rc == -0x6A88 ? RC_PSAM_NO_RKSSSE : rc;
    }
    if (fault("no_read_key_auth"))
        return RC_OK;
    long rc = external_auth(s, key);
    return rc == -0x6A88 ? RC_PSAM_KEY_LEVEL : rc;
}

static long read_step(session_t *s, const file_t *f, const uint8_t *tags, size_t n, char values[][128], void *ctx)
{
    (void)values;
    job_t *job = ctx;
    char *out = job->out;
    long rc = select_file(s, f);
    plan_t plan = read_plan(s, f, job->auth_type);
    if (rc == RC_OK && plan.key != NO_KEY && s->have_psam)
        rc = file_auth(s, plan.key);
    if (rc != RC_OK)
        return rc;
    size_t used = strlen(out);
    used += (size_t)snprintf(out + used, SSCREADER_OUT_MAX - used, "%s|", f->name);
    for (size_t i = 0; i < n && used < SSCREADER_OUT_MAX; i++) {
        const item_t *item = find_item(f->name, tags[i]);
        uint8_t value[128];
        size_t len = sizeof value;
        char text[300];
        if ((rc = read_tag(s, f->sfi, tags[i], value, &len)) != RC_OK)
            return rc;
        decode_item(item, value, len, text);
        used += (size_t)snprintf(out + used, SSCREADER_OUT_MAX - used, "%s|", text);
    }
    if (used < SSCREADER_OUT_MAX)
        snprintf(out + used, SSCREADER_OUT_MAX - used, "$");
    return RC_OK;
}

static long write_step(session_t *s, const file_t *f, const uint8_t *tags, size_t n, char values[][128], void *ctx)
{
    (void)ctx;
    long rc = select_file(s, f);
    uint16_t sw = 0;
    if (rc == RC_OK)
        rc = f->write_sm ? psam_derive(s, 0x07, f->write_key, &sw) : external_auth(s, f->write_key);
    if (rc == -0x6A88 || sw == 0x6A88)
        return RC_PSAM_KEY_LEVEL;
    for (size_t i = 0; i < n && rc == RC_OK; i++) {
        const item_t *item = find_item(f->name, tags[i]);
        uint8_t cmd[5 + 2 + 128] = {0x00, 0xDC, item->record, (uint8_t)(f->sfi << 3 | 0x04), (uint8_t)(item->len + 2),
                                    item->tag, item->len};
        if ((rc = encode_item(item, values[i], strlen(values[i]), cmd + 7)) != RC_OK)
            return rc;
        if (f->write_sm && !fault("write_without_mac")) {
            cmd[0] = 0x04;
            rc = send_with_mac(s, cmd, cmd + 5, 2u + item->len);
        } else {
            rc = card_cmd(s, cmd, 7u + item->len, NULL, NULL);
        }
    }
    return rc;
}

/* The PIN from the PIN pad, in SSSE, before the first file, when a file's plan needs it. */
static long pin_first(session_t *s, const char *addr, const char *data, file_step scan, job_t *job)
{
    long rc = for_each_file(s, addr, data, scan, job);
    if (rc == RC_OK && job->need_pin)
        rc = verify_pin(s, job->out);
    return rc;
}

EXPORT long iReadCard(int iType, int iAuthType, char *pCardInfo, char *pFileAddr, char *pOutInfo)
{
    session_t s;
    if (iAuthType != 1 && iAuthType != 2)
        return RC_BAD_PARAMETER;
    long rc = session_open(&s, iType, 1);
    if (rc == RC_OK)
        rc = check_card(&s);
    if (rc == RC_OK)
        rc = check_card_info(&s, pCardInfo);
    job_t job = {iAuthType, 0, pOutInfo};
    if (rc == RC_OK)
        rc = pin_first(&s, pFileAddr, NULL, read_scan_step, &job);
    if (rc == RC_OK) {
        char text[SSCREADER_OUT_MAX] = "";
        job.out = text;
        rc = for_each_file(&s, pFileAddr, NULL, read_step, &job);
        if (rc == RC_OK)
            put(pOutInfo, text);
    }
    session_close(&s);
    return rc;
}

EXPORT long iWriteCard(int iType, char *pCardInfo, char *pFileAddr, char *pWriteData, char *pOutInfo)
{
    session_t s;
    if (pWriteData == NULL)
        return RC_BAD_PARAMETER;
    long rc = session_open(&s, iType, 1);
    if (rc == RC_OK && !s.have_psam)
        rc = RC_NO_PSAM;
    if (rc == RC_OK)
        rc = check_card(&s);
    if (rc == RC_OK)
        rc = check_card_info(&s, pCardInfo);
    job_t job = {0, 0, pOutInfo};
    if (rc == RC_OK)
        rc = pin_first(&s, pFileAddr, pWriteData, write_scan_step, &job);
    if (rc == RC_OK)
        rc = for_each_file(&s, pFileAddr, pWriteData, write_step, &job);
    if (rc == RC_OK)
        put(pOutInfo, "");
    session_close(&s);
    return rc;
}

/* ---- PIN functions ------------------------------------------------------------------------ */

EXPORT long iVerifyPIN(int iType, char *pOutInfo)
{
    session_t s;
    long rc = session_open(&s, iType, 0);
    if (rc == RC_OK)
        rc = verify_pin(&s, pOutInfo);
    session_close(&s);
    return rc;
}

EXPORT long iChangePIN(int iType, char *pOutInfo)
{
    session_t s;
    char old_pin[16], new_pin[16];
    long rc = pinpad(0, old_pin, sizeof old_pin);
    if (rc == RC_OK)
        rc = pinpad(1, new_pin, sizeof new_pin);
    if (rc != RC_OK)
        return rc;
    if ((rc = session_open(&s, iType, 0)) == RC_OK) {
        uint8_t cmd[5 + 13] = {0x80, 0x5E, 0x01, 0x00};
        size_t n = pin_bcd(old_pin, cmd + 5);
        cmd[5 + n] = 0xFF;
        n += 1 + pin_bcd(new_pin, cmd + 6 + n);
        cmd[4] = (uint8_t)n;
        rc = pin_result(card_cmd(&s, cmd, 5 + n, NULL, NULL), pOutInfo);
    }
    session_close(&s);
    return rc;
}

/* GET CHALLENGE 4 → MAC by the PSAM over header ‖ Lc ‖ data → the command with its MAC. */
static long send_with_mac(session_t *s, const uint8_t header[4], const uint8_t *data, size_t len)
{
    uint8_t challenge[5] = {0x00, 0x84, 0x00, 0x00, 0x04}, r[8], mac[16];
    size_t r_len = sizeof r, mac_len = sizeof mac, bs = block_size(s);
    long rc = card_cmd(s, challenge, sizeof challenge, r, &r_len);
    if (rc != RC_OK)
        return rc;
    uint8_t in[160] = {0};
    if (len > 128)
        return RC_BAD_PARAMETER;
    memcpy(in, r, 4);
    memcpy(in + bs, header, 4);
    in[bs + 4] = (uint8_t)(len + 4);
    memcpy(in + bs + 5, data, len);
    if ((rc = psam_use(s, 0x05, in, bs + 5 + len, mac, &mac_len)) != RC_OK)
        return rc;
    uint8_t cmd[160];
    memcpy(cmd, header, 4);
    cmd[4] = (uint8_t)(len + 4);
    memcpy(cmd + 5, data, len);
    memcpy(cmd + 5 + len, mac, 4);
    return card_cmd(s, cmd, 9 + len, NULL, NULL);
}

static long puk_session(session_t *s, int iType, const char *card_info)
{
    long rc = session_open(s, iType, 1);
    if (rc == RC_OK && !s->have_psam)
        rc = RC_NO_PSAM;
    if (rc == RC_OK)
        rc = check_card_info(s, card_info);
    if (rc == RC_OK)
        rc = external_auth(s, KEY_PUK);
    uint16_t sw;
    if (rc == RC_OK)
        rc = psam_derive(s, 0x07, KEY_PUK, &sw);
    return rc == -0x6A88 ? RC_PSAM_KEY_LEVEL : rc;
}

EXPORT long iReloadPIN(int iType, char *pCardInfo, char *pOutInfo)
{
    session_t s;
    char pin[16];
    long rc = pinpad(0, pin, sizeof pin);
    if (rc != RC_OK)
        return rc;
    if ((rc = puk_session(&s, iType, pCardInfo)) == RC_OK) {
        /* PIN block: 0n ‖ PIN BCD ‖ 80 00 … to the block size, enciphered by the PSAM */
        uint8_t block[16] = {0}, enciphered[16];
        size_t bs = block_size(&s), n = pin_bcd(pin, block + 1), enc_len = sizeof enciphered;
        block[0] = (uint8_t)n;
        block[1 + n] = 0x80;
        rc = psam_use(&s, 0x00, block, bs, enciphered, &enc_len);
        static const uint8_t header[4] = {0x84, 0x24, 0x00, 0x01};
        if (rc == RC_OK)
            rc = send_with_mac(&s, header, enciphered, enc_len);
        if (rc == RC_OK)
            put(pOutInfo, "");
    }
    session_close(&s);
    return rc;
}

EXPORT long iUnblockPIN(int iType, char *pCardInfo, char *pOutInfo)
{
    session_t s;
    long rc = puk_session(&s, iType, pCardInfo);
    static const uint8_t header[4] = {0x84, 0x24, 0x00, 0x00};
    if (rc == RC_OK)
        rc = send_with_mac(&s, header, NULL, 0);
    if (rc == RC_OK)
        put(pOutInfo, "");
    session_close(&s);
    return rc;
}

/* ---- HSM mode: the back office's HSM computes, the library relays ------------------------- */

static session_t hsm;
static int hsm_open;
static uint8_t hsm_result[16], hsm_challenge[8];
static size_t hsm_result_len;

static void hsm_reset(void)
{
    if (hsm_open)
        session_close(&hsm);
    hsm_open = 0;
}

EXPORT long iReadCardBas_HSM_Step1(int iType, char *pOutInfo)
{
    hsm_reset();
    long rc = session_open(&hsm, iType, 0);
    if (rc != RC_OK) {
        session_close(&hsm);
        return rc;
    }
    hsm_open = 1;
    uint8_t fd[16];
    random_bytes(fd, sizeof fd);
    uint8_t cmd[5 + 16] = {0x00, 0x88, 0x00, 0x00, 16};
    memcpy(cmd + 5, fd, 16);
    hsm_result_len = sizeof hsm_result;
    rc = card_cmd(&hsm, cmd, sizeof cmd, hsm_result, &hsm_result_len);
    char f_hex[17], d_hex[17], r_hex[17] = "", atr_hex[81], id_hex[33];
    if (rc == RC_OK && hsm.gen3) {
        uint8_t challenge[5] = {0x00, 0x84, 0x00, 0x00, 0x08};
        size_t len = sizeof hsm_challenge;
        rc = card_cmd(&hsm, challenge, sizeof challenge, hsm_challenge, &len);
        to_hex(hsm_challenge, 8, r_hex);
    }
    if (rc != RC_OK) {
        hsm_reset();
        return rc;
    }
    to_hex(fd, 8, f_hex);
    to_hex(fd + 8, 8, d_hex);
    to_hex(hsm.dev.card.atr, hsm.dev.card.atr_len, atr_hex);
    to_hex(hsm.card_id, 16, id_hex);
    const char *sn = getenv("SSCREADER_TERMINAL_SN");
    char text[SSCREADER_OUT_MAX];
    snprintf(text, sizeof text, "%s|%s|%02X|%s|%s|%s|%s|%s|%s|", hsm.region, atr_hex, hsm.alg, id_hex, f_hex, d_hex, r_hex,
             r_hex, sn ? sn : "");
    put(pOutInfo, text);
    return RC_OK;
}

EXPORT long iReadCardBas_HSM_Step2(char *pKey, char *pOutInfo)
{
    if (!hsm_open)
        return RC_BAD_PARAMETER; /* Step1 first */
    long rc = RC_OK;
    const char *bar = pKey ? strchr(pKey, '|') : NULL;
    uint8_t result[16], crypt[8];
    if (bar == NULL || parse_hex(pKey, (size_t)(bar - pKey), result, hsm_result_len) != RC_OK)
        rc = RC_BAD_PARAMETER;
    else if (memcmp(result, hsm_result, hsm_result_len) != 0)
        rc = RC_HSM_MISMATCH;
    else if (hsm.gen3) {
        const char *crypt_text = bar + 1;
        if (parse_hex(crypt_text, strcspn(crypt_text, "|"), crypt, sizeof crypt) != RC_OK) {
            rc = RC_BAD_PARAMETER;
        } else {
            uint8_t cmd[5 + 16] = {0x00, 0x82, 0x00, KEY_RKSSSE, 16};
            memcpy(cmd + 5, crypt, 8);
            memcpy(cmd + 13, hsm_challenge, 8);
            rc = card_cmd(&hsm, cmd, sizeof cmd, NULL, NULL);
        }
    }
    if (rc == RC_OK) {
        const char *no = getenv("SSCREADER_TERMINAL_NO"), *sn = getenv("SSCREADER_TERMINAL_SN");
        rc = basic_info(&hsm, no ? no : "", sn ? sn : "", pOutInfo);
    }
    hsm_reset();
    return rc;
}
