/* PC/SC plumbing of sscreader: pick the card and PSAM readers, connect, exchange APDUs.
 * pcsc-lite passes bytes unchanged, so T=0 chaining (61xx, 6Cxx) is handled here. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int fault(const char *name)
{
    const char *faults = getenv("SSCREADER_FAULT");
    size_t n = strlen(name);
    while (faults != NULL && *faults != '\0') {
        const char *end = strchr(faults, ',');
        size_t len = end ? (size_t)(end - faults) : strlen(faults);
        if (len == n && strncmp(faults, name, n) == 0)
            return 1;
        faults = end ? end + 1 : NULL;
    }
    return 0;
}

long dev_open(device_t *dev)
{
    memset(dev, 0, sizeof *dev);
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &dev->context) != SCARD_S_SUCCESS)
        return RC_READER_OPEN;
    dev->context_open = 1;
    return RC_OK;
}

/* The reader whose name contains getenv(env_name), else the default_index-th reader. */
static long find_reader(device_t *dev, const char *env_name, int default_index, char *name, size_t size)
{
    char *readers = NULL;
    DWORD len = SCARD_AUTOALLOCATE;
    const char *wanted = getenv(env_name);
    if (SCardListReaders(dev->context, NULL, (LPSTR)&readers, &len) != SCARD_S_SUCCESS)
        return RC_READER_CONNECT;
    long rc = RC_READER_CONNECT;
    int index = 0;
    for (const char *r = readers; *r != '\0'; r += strlen(r) + 1, index++) {
        int match = (wanted != NULL && *wanted != '\0') ? strstr(r, wanted) != NULL : index == default_index;
        if (match && strlen(r) < size) {
            strcpy(name, r);
            rc = RC_OK;
            break;
        }
    }
    SCardFreeMemory(dev->context, readers);
    return rc;
}

long dev_connect(device_t *dev, slot_t *slot, const char *env_name, int default_index)
{
    char name[256];
    long rc = find_reader(dev, env_name, default_index, name, sizeof name);
    if (rc != RC_OK)
        return rc;
    LONG r = SCardConnect(dev->context, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &slot->handle,
                          &slot->protocol);
    if (r == SCARD_E_NO_SMARTCARD || r == SCARD_W_REMOVED_CARD)
        return RC_NO_CARD;
    if (r == SCARD_W_UNRESPONSIVE_CARD || r == SCARD_W_UNPOWERED_CARD)
        return RC_NO_ANSWER;
    if (r != SCARD_S_SUCCESS)
        return RC_READER_CONNECT;
    slot->open = 1;
    char reader[256];
    DWORD reader_len = sizeof reader, state, protocol, atr_len = sizeof slot->atr;
    if (SCardStatus(slot->handle, reader, &reader_len, &state, &protocol, slot->atr, &atr_len) != SCARD_S_SUCCESS)
        return RC_NO_CARD;
    slot->atr_len = atr_len;
    return RC_OK;
}

void dev_close(device_t *dev)
{
    if (dev->card.open)
        SCardDisconnect(dev->card.handle, SCARD_LEAVE_CARD);
    if (dev->psam.open)
        SCardDisconnect(dev->psam.handle, SCARD_LEAVE_CARD);
    if (dev->context_open)
        SCardReleaseContext(dev->context);
    memset(dev, 0, sizeof *dev);
}

static long raw_transmit(slot_t *slot, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, DWORD *resp_len)
{
    const SCARD_IO_REQUEST *pci = slot->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    LONG r = SCardTransmit(slot->handle, pci, cmd, (DWORD)cmd_len, NULL, resp, resp_len);
    if (r == SCARD_W_REMOVED_CARD || r == SCARD_E_NO_SMARTCARD || r == SCARD_W_RESET_CARD)
        return RC_NO_CARD;
    if (r != SCARD_S_SUCCESS || *resp_len < 2)
        return RC_NO_ANSWER;
    return RC_OK;
}

long xmit(slot_t *slot, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len, uint16_t *sw)
{
    uint8_t buf[300], again[300];
    DWORD len = sizeof buf;
    long rc = raw_transmit(slot, cmd, cmd_len, buf, &len);
    if (rc != RC_OK)
        return rc;
    if (buf[len - 2] == 0x6C && cmd_len >= 5 && cmd_len < sizeof again) {
        /* wrong Le: re-issue with the exact length (a case-2 command: header + Le) */
        memcpy(again, cmd, cmd_len);
        again[cmd_len - 1] = buf[len - 1];
        len = sizeof buf;
        if ((rc = raw_transmit(slot, again, cmd_len, buf, &len)) != RC_OK)
            return rc;
    }
    while (buf[len - 2] == 0x61) {
        uint8_t get_response[5] = {0x00, 0xC0, 0x00, 0x00, buf[len - 1]};
        len = sizeof buf;
        if ((rc = raw_transmit(slot, get_response, sizeof get_response, buf, &len)) != RC_OK)
            return rc;
    }
    *sw = (uint16_t)((buf[len - 2] << 8) | buf[len - 1]);
    size_t data_len = len - 2;
    if (resp != NULL) {
        if (data_len > *resp_len)
            data_len = *resp_len;
        memcpy(resp, buf, data_len);
        *resp_len = data_len;
    }
    return RC_OK;
}

size_t atr_historical(const uint8_t *atr, size_t atr_len, const uint8_t **hist)
{
    if (atr_len < 2)
        return 0;
    size_t k = atr[1] & 0x0F, i = 1;
    uint8_t y = atr[1] & 0xF0;
    for (;;) {
        size_t present = (size_t)((y >> 4 & 1) + (y >> 5 & 1) + (y >> 6 & 1) + (y >> 7 & 1));
        int has_td = (y & 0x80) != 0;
        i += present;
        if (!has_td || i >= atr_len)
            break;
        y = atr[i] & 0xF0;
    }
    i += 1;
    if (i + k > atr_len)
        return 0;
    *hist = atr + i;
    return k;
}
