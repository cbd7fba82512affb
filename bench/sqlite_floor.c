/* The floor for SQLite on this machine: the same 4.5 M rows inserted into the same keyed
 * table (WITHOUT ROWID, primary key measure x area x year x gender, WAL, synchronous=FULL)
 * through the C API with one prepared statement, no parsing, no checks, no revision trigger.
 * It times only the insert loop and the commit. Used by bench/import.sh.
 * Usage: sqlite_floor VALUES.csv DB upsert(0|1) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) return 1;
    size_t cap = 1 << 20, n = 0;
    char (*kpi)[16] = malloc(cap * 16), (*area)[16] = malloc(cap * 16);
    int *year = malloc(cap * sizeof(int));
    double *value = malloc(cap * sizeof(double));
    char line[256];
    if (!fgets(line, sizeof line, f)) return 1; /* header */
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            kpi = realloc(kpi, cap * 16); area = realloc(area, cap * 16);
            year = realloc(year, cap * sizeof(int)); value = realloc(value, cap * sizeof(double));
        }
        char *p = strtok(line, ","); snprintf(kpi[n], 16, "%s", p);
        p = strtok(NULL, ","); snprintf(area[n], 16, "%s", p);
        p = strtok(NULL, ","); year[n] = atoi(p);
        p = strtok(NULL, ","); value[n] = atof(p);
        n++;
    }
    sqlite3 *db;
    remove(argv[2]);
    if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
                     "CREATE TABLE value (measure_id TEXT NOT NULL, area_id TEXT NOT NULL, year INTEGER NOT NULL,"
                     " gender TEXT NOT NULL, value REAL, status TEXT, count INTEGER, batch_id INTEGER NOT NULL,"
                     " PRIMARY KEY (measure_id, area_id, year, gender)) WITHOUT ROWID;", 0, 0, 0);
    const char *sql = atoi(argv[3])
        ? "INSERT INTO value VALUES (?,?,?,'T',?,NULL,NULL,1) ON CONFLICT (measure_id, area_id, year, gender)"
          " DO UPDATE SET value = excluded.value WHERE value.value IS DISTINCT FROM excluded.value"
        : "INSERT INTO value VALUES (?,?,?,'T',?,NULL,NULL,1)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, 0) != SQLITE_OK) return 1;
    double start = now();
    sqlite3_exec(db, "BEGIN", 0, 0, 0);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, kpi[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, area[i], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, year[i]);
        sqlite3_bind_double(st, 4, value[i]);
        if (sqlite3_step(st) != SQLITE_DONE) { fprintf(stderr, "%s\n", sqlite3_errmsg(db)); return 1; }
        sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    printf("%.2f\n", now() - start);
    return 0;
}
