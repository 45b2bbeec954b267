/* Card and PSAM operations of sscreader. The library holds no key: the PSAM derives every working
 * key from the card's diversification factors and computes cryptograms and MACs (PROFILE.md §7). */
#include <stdio.h>
#include <string.h>

#include "card.h"

static const uint8_t SSSE_NAME[] = {0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF};
enum { SFI_EF05 = 0x05, TAG_CARD_ID = 0x01, TAG_VERSION = 0x03, KEY_IRK = 0x00 };

void to_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0F];
    }
    out[2 * len] = '\0';
}

void bcd_digits(const uint8_t *data, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < 2 * len; i++) {
        uint8_t nibble = (uint8_t)(i % 2 ? data[i / 2] & 0x0F : data[i / 2] >> 4);
        if (nibble > 9)
            break; /* F padding */
        out[n++] = (char)('0' + nibble);
    }
    out[n] = '\0';
}

void random_bytes(uint8_t *out, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL || fread(out, 1, len, f) != len)
        memset(out, 0x5A, len);
    if (f != NULL)
        fclose(f);
}

size_t block_size(const session_t *s)
{
    return s->alg == ALG_SM4 ? 16 : 8;
}

long card_cmd(session_t *s, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len)
{
    uint16_t sw;
    size_t dummy = 0;
    long rc = xmit(&s->dev.card, cmd, len, resp, resp != NULL ? resp_len : &dummy, &sw);
    if (rc != RC_OK)
        return rc;
    return sw == 0x9000 ? RC_OK : -(long)sw;
}

static long psam_cmd(session_t *s, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len, uint16_t *sw)
{
    size_t dummy = 0;
    long rc = xmit(&s->dev.psam, cmd, len, resp, resp != NULL ? resp_len : &dummy, sw);
    return rc == RC_NO_CARD ? RC_NO_PSAM : rc;
}

long select_ssse(session_t *s)
{
    uint8_t cmd[5 + sizeof SSSE_NAME] = {0x00, 0xA4, 0x04, 0x00, sizeof SSSE_NAME};
    memcpy(cmd + 5, SSSE_NAME, sizeof SSSE_NAME);
    uint8_t fci[256];
    size_t fci_len = sizeof fci;
    uint16_t sw;
    long rc = xmit(&s->dev.card, cmd, sizeof cmd, fci, &fci_len, &sw);
    if (rc != RC_OK)
        return rc;
    if (sw != 0x9000)
        return RC_WRONG_CARD_TYPE; /* no social security application */
    s->alg = ALG_3DES;             /* FCI without 9F0C: 3DES (READER-INTERFACE.md §5) */
    for (size_t i = 0; i + 5 < fci_len; i++)
        if (fci[i] == 0x9F && fci[i + 1] == 0x0C && fci[i + 2] == 0x03 && fci[i + 3] == 0x86 && fci[i + 4] == 0x01)
            s->alg = fci[i + 5];
    return RC_OK;
}

long select_aid(session_t *s, const uint8_t *aid, size_t len)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00, (uint8_t)len};
    memcpy(cmd + 5, aid, len);
    uint8_t fci[256];
    size_t fci_len = sizeof fci;
    return card_cmd(s, cmd, 5 + len, fci, &fci_len);
}

long read_tag(session_t *s, uint8_t sfi, uint8_t tag, uint8_t *value, size_t *value_len)
{
    /* READ RECORD by record identifier: P1 = tag, P2 = SFI << 3 (mode 000); Le 00 lets the card
     * name the exact length with 6Cxx. */
    uint8_t cmd[5] = {0x00, 0xB2, tag, (uint8_t)(sfi << 3), 0x00};
    uint8_t rec[258];
    size_t rec_len = sizeof rec;
    long rc = card_cmd(s, cmd, sizeof cmd, rec, &rec_len);
    if (rc != RC_OK)
        return rc;
    if (rec_len < 2 || rec[0] != tag || (size_t)rec[1] + 2 != rec_len || rec[1] > *value_len)
        return RC_ILLEGAL_DATA;
    memcpy(value, rec + 2, rec[1]);
    *value_len = rec[1];
    return RC_OK;
}

/* Factors root first in the DERIVE KEY order the PSAM wants (card first): card SN, city, province. */
long psam_derive(session_t *s, uint8_t usage, uint8_t key_id, uint16_t *sw)
{
    uint8_t cmd[5 + 1 + 24] = {0x80, 0x1A, (uint8_t)((3 << 5) | usage), key_id, 25, 0x00};
    memcpy(cmd + 6, s->card_sn, 8);
    char city[9], province[9];
    snprintf(city, sizeof city, "%.6ssx", s->region);
    snprintf(province, sizeof province, "%.2s0000sh", s->region);
    memcpy(cmd + 14, city, 8);
    memcpy(cmd + 22, province, 8);
    long rc = psam_cmd(s, cmd, sizeof cmd, NULL, NULL, sw);
    if (rc != RC_OK)
        return rc;
    return *sw == 0x9000 ? RC_OK : -(long)*sw;
}

long psam_use(session_t *s, uint8_t mode, const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
    uint8_t cmd[5 + 64 + 1] = {0x80, 0xFA, mode, 0x00, (uint8_t)len};
    if (len > 64)
        return RC_BAD_PARAMETER;
    memcpy(cmd + 5, data, len);
    cmd[5 + len] = 0x00;
    uint16_t sw;
    long rc = psam_cmd(s, cmd, 6 + len, out, out_len, &sw);
    if (rc != RC_OK)
        return rc;
    return sw == 0x9000 ? RC_OK : -(long)sw;
}

static long psam_select(session_t *s, uint16_t fid, uint16_t *sw)
{
    uint8_t cmd[7] = {0x00, 0xA4, 0x00, 0x00, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid};
    return psam_cmd(s, cmd, sizeof cmd, NULL, NULL, sw);
}

static long psam_select_alg(session_t *s)
{
    uint16_t sw;
    uint16_t fid = s->alg == ALG_3DES ? 0x1001 : s->alg == ALG_SM4 ? 0x1002 : 0;
    if (fid == 0)
        return RC_PSAM_NO_ALGORITHM; /* SSF33 (02) is not modelled */
    long rc = psam_select(s, fid, &sw);
    if (rc != RC_OK)
        return rc;
    return sw == 0x9000 ? RC_OK : RC_PSAM_NO_ALGORITHM;
}

long psam_terminal_numbers(session_t *s, char *terminal_no, size_t size_no, char *device_no, size_t size_dev)
{
    uint16_t sw;
    long rc = psam_select(s, 0x3F00, &sw);
    if (rc != RC_OK)
        return rc;
    uint8_t cmd[5] = {0x00, 0xB0, 0x80 | 0x16, 0x00, 0x06}, number[16];
    size_t len = sizeof number;
    if ((rc = psam_cmd(s, cmd, sizeof cmd, number, &len, &sw)) != RC_OK)
        return rc;
    if (sw != 0x9000)
        return -(long)sw;
    char digits[33];
    bcd_digits(number, len, digits);
    snprintf(terminal_no, size_no, "%s", digits);
    /* terminal device number: the PSAM's serial, its ATR historical bytes in hex (a stand-in) */
    const uint8_t *hist;
    size_t k = atr_historical(s->dev.psam.atr, s->dev.psam.atr_len, &hist);
    char hex[2 * 16 + 1] = "";
    if (k > 0 && k <= 16)
        to_hex(hist, k, hex);
    snprintf(device_no, size_dev, "%s", hex);
    return psam_select_alg(s);
}

long session_open(session_t *s, int iType, int need_psam)
{
    memset(s, 0, sizeof *s);
    if (iType < 1 || iType > 4)
        return RC_BAD_PARAMETER;
    long rc = dev_open(&s->dev);
    if (rc != RC_OK)
        return rc;
    if (need_psam && !fault("no_psam_check")) {
        rc = dev_connect(&s->dev, &s->dev.psam, "SSCREADER_PSAM_READER", 1);
        if (rc != RC_OK)
            return RC_NO_PSAM;
        s->have_psam = 1;
    } else if (need_psam) {
        /* the fault: a missing PSAM goes unnoticed and its steps are skipped */
        s->have_psam = dev_connect(&s->dev, &s->dev.psam, "SSCREADER_PSAM_READER", 1) == RC_OK;
    }
    rc = dev_connect(&s->dev, &s->dev.card, "SSCREADER_CARD_READER", 0);
    if (rc == RC_NO_CARD && fault("wrong_no_card_code"))
        return RC_NOT_POWERED;
    if (rc != RC_OK)
        return rc;
    const uint8_t *hist;
    size_t k = atr_historical(s->dev.card.atr, s->dev.card.atr_len, &hist);
    if (k < 8)
        return RC_WRONG_CARD_TYPE;
    memcpy(s->card_sn, hist + k - 8, 8);
    if ((rc = select_ssse(s)) != RC_OK)
        return rc;
    uint8_t value[32];
    size_t len = sizeof value;
    if ((rc = read_tag(s, SFI_EF05, TAG_CARD_ID, value, &len)) != RC_OK)
        return rc;
    if (len != 16)
        return RC_CARD_ID_MALFORMED;
    memcpy(s->card_id, value, 16);
    char digits[8];
    bcd_digits(s->card_id, 3, digits);
    if (strlen(digits) != 6)
        return RC_CARD_ID_MALFORMED;
    memcpy(s->region, digits, 7);
    len = sizeof value;
    if ((rc = read_tag(s, SFI_EF05, TAG_VERSION, value, &len)) != RC_OK)
        return rc;
    s->gen3 = len >= 1 && value[0] == '3';
    if (s->have_psam && (rc = psam_select_alg(s)) != RC_OK)
        return rc;
    return RC_OK;
}

void session_close(session_t *s)
{
    dev_close(&s->dev);
}

long check_card(session_t *s)
{
    if (!s->have_psam)
        return RC_OK; /* only reachable with the no_psam_check fault */
    uint16_t sw;
    uint8_t fd[16], expected[16], got[16];
    random_bytes(fd, sizeof fd);
    long rc = psam_derive(s, 0x0E, KEY_IRK, &sw);
    if (rc != RC_OK)
        return sw == 0x6A88 ? RC_PSAM_KEY_LEVEL : rc;
    size_t expected_len = sizeof expected, got_len = sizeof got;
    if ((rc = psam_use(s, 0x08, fd, 16, expected, &expected_len)) != RC_OK)
        return rc;
    uint8_t cmd[5 + 16] = {0x00, 0x88, 0x00, KEY_IRK, 16};
    memcpy(cmd + 5, fd, 16);
    rc = card_cmd(s, cmd, sizeof cmd, got, &got_len);
    if (rc == RC_NO_CARD || rc == RC_NO_ANSWER)
        return rc;
    if (rc != RC_OK || got_len != expected_len || memcmp(got, expected, got_len) != 0)
        return RC_ILLEGAL_CARD;
    /* the card identification code's MAC over bytes 1-12 under the IRK, IV zero */
    uint8_t mac_in[16 + 12] = {0}, mac[16];
    size_t bs = block_size(s), mac_len = sizeof mac;
    memcpy(mac_in + bs, s->card_id, 12);
    if ((rc = psam_use(s, 0x05, mac_in, bs + 12, mac, &mac_len)) != RC_OK)
        return rc;
    if (mac_len < 4 || memcmp(mac, s->card_id + 12, 4) != 0)
        return RC_CARD_ID_MALFORMED;
    return RC_OK;
}

long external_auth(session_t *s, uint8_t key_id)
{
    uint16_t sw;
    long rc = psam_derive(s, 0x0D, key_id, &sw);
    if (rc != RC_OK)
        return rc;
    uint8_t challenge[5] = {0x00, 0x84, 0x00, 0x00, 0x08}, r[16], crypt[16];
    size_t r_len = sizeof r, crypt_len = sizeof crypt;
    if ((rc = card_cmd(s, challenge, sizeof challenge, r, &r_len)) != RC_OK)
        return rc;
    if (r_len != 8)
        return RC_ILLEGAL_DATA;
    uint8_t rr[16];
    memcpy(rr, r, 8);
    memcpy(rr + 8, r, 8);
    if ((rc = psam_use(s, 0x08, rr, 16, crypt, &crypt_len)) != RC_OK)
        return rc;
    uint8_t cmd[5 + 16] = {0x00, 0x82, 0x00, key_id, 16};
    memcpy(cmd + 5, crypt, 8);
    memcpy(cmd + 13, r, 8);
    return card_cmd(s, cmd, sizeof cmd, NULL, NULL);
}
