/*
 * LD_PRELOAD hook for the rollup-crash chaos scenario (CommitWindowHook.java).
 *
 * A plain MergeTree commits an insert in two steps: it appends the insert's block id (from its deduplication
 * token) to the table's deduplication log, then renames the part's temporary directory (tmp_insert_...) to its
 * final name. The process killed between the two remembers a token whose part never existed. This hook makes that
 * happen for real: when the file named by TOKENLEDGER_COMMIT_KILL_FILE exists and holds a substring of the path
 * being renamed (a table's data directory), the process SIGKILLs itself just before that rename. The file is
 * removed first, so each arming kills once.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void maybe_die(const char *from) {
    const char *armed = getenv("TOKENLEDGER_COMMIT_KILL_FILE");
    if (armed == NULL || strstr(from, "/tmp_insert_") == NULL) {
        return;
    }
    FILE *f = fopen(armed, "r");
    if (f == NULL) {
        return;
    }
    char table_dir[1024] = {0};
    char *line = fgets(table_dir, sizeof table_dir, f);
    fclose(f);
    if (line == NULL) {
        return;
    }
    table_dir[strcspn(table_dir, "\r\n")] = 0;
    if (table_dir[0] != 0 && strstr(from, table_dir) != NULL) {
        unlink(armed);
        kill(getpid(), SIGKILL);
    }
}

int rename(const char *from, const char *to) {
    static int (*real_rename)(const char *, const char *) = NULL;
    if (real_rename == NULL) {
        real_rename = (int (*)(const char *, const char *)) dlsym(RTLD_NEXT, "rename");
    }
    maybe_die(from);
    return real_rename(from, to);
}
