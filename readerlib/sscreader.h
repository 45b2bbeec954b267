/*
 * sscreader: an open reference implementation of the SSC reader programming interface
 * (READER-INTERFACE.md of the ssc-conform project) over pcsc-lite, with the PSAM in a second
 * reader. Linux, cdecl. Strings are 8-bit GBK, NUL-terminated; output buffers are allocated by the
 * caller and must hold SSCREADER_OUT_MAX bytes.
 *
 * Configuration (environment variables, read at every call):
 *   SSCREADER_CARD_READER  substring of the card reader's PC/SC name (default: the first reader)
 *   SSCREADER_PSAM_READER  substring of the PSAM reader's name (default: the second reader)
 *   SSCREADER_PINPAD       the reference library's PIN pad test input (it has no PIN pad):
 *                          "PIN" for iVerifyPIN and for iReadCard/iWriteCard where a file's rule
 *                          needs the PIN, "OLD|NEW" for iChangePIN, "NEW" for iReloadPIN
 *   SSCREADER_TERMINAL_NO, SSCREADER_TERMINAL_SN  terminal numbers in HSM mode (no PSAM)
 *   SSCREADER_FAULT        a deliberate fault for the conformance kit's self-test (see README)
 */
#ifndef SSCREADER_H
#define SSCREADER_H

#define SSCREADER_OUT_MAX 4096

long iReadCardBas(int iType, char *pOutInfo);
/* iReadCard/iWriteCard address the record files of the social security application as <DF><EF>
 * (SSSEEF05, SSSEEF06, DF01EF05, DF01EF06, DF02EF06, DF03EF05, DF03EF07, DF04EF05, DF04EF06) and
 * their items by record tag; iAuthType 1 = the PIN only, 2 = each file's read rule (read keys via
 * the PSAM, the PIN where needed). */
long iReadCard(int iType, int iAuthType, char *pCardInfo, char *pFileAddr, char *pOutInfo);
long iWriteCard(int iType, char *pCardInfo, char *pFileAddr, char *pWriteData, char *pOutInfo);
long iVerifyPIN(int iType, char *pOutInfo);
long iChangePIN(int iType, char *pOutInfo);
long iReloadPIN(int iType, char *pCardInfo, char *pOutInfo);
long iUnblockPIN(int iType, char *pCardInfo, char *pOutInfo);
long iReadCardBas_HSM_Step1(int iType, char *pOutInfo);
long iReadCardBas_HSM_Step2(char *pKey, char *pOutInfo);

#endif
