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
 *                          "PIN" for iVerifyPIN, "OLD|NEW" for iChangePIN, "NEW" for iReloadPIN
 *   SSCREADER_TERMINAL_NO, SSCREADER_TERMINAL_SN  terminal numbers in HSM mode (no PSAM)
 *   SSCREADER_FAULT        a deliberate fault for the conformance kit's self-test (see README)
 */
#ifndef SSCREADER_H
#define SSCREADER_H

#define SSCREADER_OUT_MAX 4096

long iReadCardBas(int iType, char *pOutInfo);
long iReadCard(int iType, int iAuthType, char *pCardInfo, char *pFileAddr, char *pOutInfo);
long iWriteCard(int iType, char *pCardInfo, char *pFileAddr, char *pWriteData, char *pOutInfo);
long iVerifyPIN(int iType, char *pOutInfo);
long iChangePIN(int iType, char *pOutInfo);
long iReloadPIN(int iType, char *pCardInfo, char *pOutInfo);
long iUnblockPIN(int iType, char *pCardInfo, char *pOutInfo);
long iReadCardBas_HSM_Step1(int iType, char *pOutInfo);
long iReadCardBas_HSM_Step2(char *pKey, char *pOutInfo);

#endif
