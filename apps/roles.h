/* The entry point of each role: argv[0] is the verb. */
#ifndef MCGK_APPS_ROLES_H
#define MCGK_APPS_ROLES_H

int mcgk_cmd_crypto(int argc, char **argv);
int mcgk_cmd_kms(int argc, char **argv);
int mcgk_cmd_client(int argc, char **argv);
int mcgk_cmd_mikey(int argc, char **argv);
int mcgk_cmd_sip(int argc, char **argv);
int mcgk_cmd_gms(int argc, char **argv);
int mcgk_cmd_media(int argc, char **argv);
int mcgk_cmd_controller(int argc, char **argv);

#endif
