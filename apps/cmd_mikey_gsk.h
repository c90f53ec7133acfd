/*
 * apps/cmd_mikey_gsk.h - the ProSe GSK message verbs of `mcgk mikey`
 * (apps/cmd_mikey_gsk.c), registered in the verb table of apps/cmd_mikey.c.
 */
#ifndef MCGK_APPS_CMD_MIKEY_GSK_H
#define MCGK_APPS_CMD_MIKEY_GSK_H

/* mcgk mikey gsk-seal: build a GSK message (MIKEY pre-shared key under a GMK) */
int mcgk_mikey_cmd_gsk_seal(int argc, char **argv);
extern const char mcgk_mikey_gsk_seal_help[];

/* mcgk mikey gsk-open: open a GSK message as a member holding the GMK */
int mcgk_mikey_cmd_gsk_open(int argc, char **argv);
extern const char mcgk_mikey_gsk_open_help[];

#endif
