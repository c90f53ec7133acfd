/*
 * apps/cmd_mikey_gmk.h - the GMK I_MESSAGE verbs of `mcgk mikey`
 * (apps/cmd_mikey_gmk.c), registered in the verb table of apps/cmd_mikey.c.
 */
#ifndef MCGK_APPS_CMD_MIKEY_GMK_H
#define MCGK_APPS_CMD_MIKEY_GMK_H

/* mcgk mikey open: open an I_MESSAGE as a recipient, with the full receiver checklist */
int mcgk_mikey_cmd_open(int argc, char **argv);
extern const char mcgk_mikey_open_help[];

/* mcgk mikey seal: build one I_MESSAGE as the GMS */
int mcgk_mikey_cmd_seal(int argc, char **argv);
extern const char mcgk_mikey_seal_help[];

#endif
