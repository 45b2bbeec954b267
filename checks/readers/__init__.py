"""The reader review (RDR): what a PC/SC reader must do with a known card in it — list itself,
report insertion and removal, deliver the ATR and every APDU unchanged, serve a card and a PSAM
at once, and last a long run. The checks talk to the reader through transports only."""
