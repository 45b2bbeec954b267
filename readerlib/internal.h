/* Internal interfaces of sscreader: return codes, the PC/SC slots, APDU exchange, faults. */
#ifndef SSCREADER_INTERNAL_H
#define SSCREADER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <winscard.h>

/* Return codes of READER-INTERFACE.md §4 (names as there). */
enum {
    RC_OK = 0,
    RC_WRONG_CARD_TYPE = -1,
    RC_NO_CARD = -2,
    RC_NOT_POWERED = -3,
    RC_NO_ANSWER = -4,
    RC_READER_CONNECT = -11,
    RC_READER_OPEN = -12,
    RC_NOT_SUPPORTED = -13,
    RC_BAD_PARAMETER = -14,
    RC_CARD_ID_MALFORMED = -20,
    RC_ILLEGAL_CARD = -21,
    RC_DATA_MISMATCH = -22,
    RC_ILLEGAL_DATA = -23,
    RC_PSAM_KEY_LEVEL = -24,
    RC_HSM_MISMATCH = -25,
    RC_PINPAD = -31,
    RC_PIN_WRONG = -51,
    RC_PIN_LOCKED = -52,
    RC_NO_PSAM = -2201,
    RC_PSAM_NO_ALGORITHM = -2202,
    RC_PSAM_NO_RKSSSE = -2203,
};

/* Faults selectable with SSCREADER_FAULT (one name, or several separated by commas). */
int fault(const char *name);

typedef struct {
    SCARDHANDLE handle;
    DWORD protocol;
    int open;
    uint8_t atr[40];
    size_t atr_len;
} slot_t;

typedef struct {
    SCARDCONTEXT context;
    int context_open;
    slot_t card;
    slot_t psam;
} device_t;

/* Opening: 0 or a return code (RC_NO_CARD, RC_READER_CONNECT, ...). */
long dev_open(device_t *dev);
long dev_connect(device_t *dev, slot_t *slot, const char *env_name, int default_index);
void dev_close(device_t *dev);

/* One command, following 61xx (GET RESPONSE) and 6Cxx (re-issue with the exact Le).
 * Returns 0 and fills resp/resp_len/sw, or RC_NO_CARD / RC_NO_ANSWER. */
long xmit(slot_t *slot, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len, uint16_t *sw);

/* Historical bytes of an ATR (ISO/IEC 7816-3 T0/TDi chain). */
size_t atr_historical(const uint8_t *atr, size_t atr_len, const uint8_t **hist);

#endif
