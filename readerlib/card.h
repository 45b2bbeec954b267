/* Card and PSAM operations of sscreader (PROFILE.md §3–§7 as seen from the terminal). */
#ifndef SSCREADER_CARD_H
#define SSCREADER_CARD_H

#include "internal.h"

enum { ALG_3DES = 0x01, ALG_SM4 = 0x03 };

typedef struct {
    device_t dev;
    int have_psam;
    int alg;              /* algorithm id from the SSSE FCI */
    int gen3;             /* spec version 3.00: EF06 needs RKSSSE */
    uint8_t card_sn[8];   /* ATR T6..T13 */
    char region[7];       /* first 6 digits of the card identification code */
    uint8_t card_id[16];
} session_t;

/* Open the card (and, with need_psam, the PSAM), select SSSE, read the card identification code
 * and spec version. Returns 0 or a return code. */
long session_open(session_t *s, int iType, int need_psam);
void session_close(session_t *s);

/* Card validity through the PSAM: internal authentication, then the card identification code's MAC. */
long check_card(session_t *s);
/* EXTERNAL AUTHENTICATE with key_id of the current DF, its working key derived by the PSAM. */
long external_auth(session_t *s, uint8_t key_id);
/* A card command: 0 on 9000, the negative status word otherwise (or a transport code). */
long card_cmd(session_t *s, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *resp_len);
/* READ RECORD by tag (SFI addressing); 0 and the value (without tag and length) or -SW. */
long read_tag(session_t *s, uint8_t sfi, uint8_t tag, uint8_t *value, size_t *value_len);
long select_aid(session_t *s, const uint8_t *aid, size_t len);
long select_ssse(session_t *s);
long psam_terminal_numbers(session_t *s, char *terminal_no, size_t size_no, char *device_no, size_t size_dev);
/* PSAM working key: usage 0x0E internal, 0x0D external, 0x07 MAC (3 diversification levels). */
long psam_derive(session_t *s, uint8_t usage, uint8_t key_id, uint16_t *sw);
long psam_use(session_t *s, uint8_t mode, const uint8_t *data, size_t len, uint8_t *out, size_t *out_len);
size_t block_size(const session_t *s);

void to_hex(const uint8_t *data, size_t len, char *out);
void bcd_digits(const uint8_t *data, size_t len, char *out);
void random_bytes(uint8_t *out, size_t len);

#endif
