# Makefile — builds pgcommerce with PGXS: the extension library
# (extension/*.c + bgworker/*.c -> pgcommerce.so), the install script
# (sql/src/*.sql concatenated in name order -> sql/pgcommerce--0.1.0.sql), and
# the HTTP gateway (gateway/pgcommerce-gateway). `make run` and `make test`
# are the two entry points the README documents.

EXTENSION  = pgcommerce
EXTVERSION = 0.1.0
MODULE_big = pgcommerce
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard extension/*.c bgworker/*.c)))
DATA_built = sql/pgcommerce--$(EXTVERSION).sql
EXTRA_CLEAN = gateway/pgcommerce-gateway gateway/*.o tmp_check test/results

# The tenant export, import and erase command (docs/tenant-export.md),
# installed beside pg_dump.
SCRIPTS    = bin/pgcommerce-tenant

PG_CONFIG ?= pg_config

# C11 with PostgreSQL's own flags; -Wextra minus the two warnings every
# PG_FUNCTION_ARGS function and PostgreSQL's struct initialisers trigger.
PG_CFLAGS   = -std=gnu11 -Wextra -Werror -Wno-unused-parameter \
              -Wno-missing-field-initializers -Wno-sign-compare
PG_CPPFLAGS = -I$(srcdir)/extension -I$(srcdir)/bgworker \
              -DPGCOMMERCE_VERSION='"$(EXTVERSION)"'

ifeq ($(SANITIZE),1)
PG_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
endif

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

ifneq ($(wildcard gateway/*.c),)
all: gateway/pgcommerce-gateway
endif

sql/pgcommerce--$(EXTVERSION).sql: $(sort $(wildcard sql/src/*.sql))
	cat $^ > $@

# --- gateway -------------------------------------------------------------
GATEWAY_SRCS = $(sort $(wildcard gateway/*.c))
GATEWAY_HDRS = $(wildcard gateway/*.h)
GATEWAY_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
                 -I$(shell $(PG_CONFIG) --includedir) \
                 -DPGCOMMERCE_VERSION='"$(EXTVERSION)"'
GATEWAY_LIBS = -lmicrohttpd -ljansson -lpq -lcrypto -lpthread
ifeq ($(SANITIZE),1)
GATEWAY_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
endif

gateway/pgcommerce-gateway: $(GATEWAY_SRCS) $(GATEWAY_HDRS)
	$(CC) $(GATEWAY_CFLAGS) -o $@ $(GATEWAY_SRCS) $(GATEWAY_LIBS)

# ASan/UBSan build of the gateway beside the normal one, for the test suites.
gateway/pgcommerce-gateway-asan: $(GATEWAY_SRCS) $(GATEWAY_HDRS)
	$(CC) $(GATEWAY_CFLAGS) -O1 -fsanitize=address,undefined \
	  -fno-omit-frame-pointer -fno-sanitize-recover=all -o $@ $(GATEWAY_SRCS) $(GATEWAY_LIBS)

# --- entry points ----------------------------------------------------------
.PHONY: deps run test test-sql test-tap tmp-install bench

deps:
	@./scripts/deps.sh

run: deps
	@$(MAKE) -s all
	@./scripts/run.sh

test: deps
	@$(MAKE) -s all $(if $(wildcard gateway/*.c),gateway/pgcommerce-gateway-asan)
	@./scripts/test.sh

test-sql:
	@./scripts/test.sh sql

test-tap:
	@./scripts/test.sh tap

# --- event consumer (docs/events.md) ---------------------------------------
all: bin/pgcommerce-listen
EXTRA_CLEAN += bin/pgcommerce-listen

bin/pgcommerce-listen: bin/pgcommerce-listen.c
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
	  -I$(shell $(PG_CONFIG) --includedir) -o $@ $< -L$(shell $(PG_CONFIG) --libdir) -lpq

# --- example plugin (plugins/loyalty, docs/plugins.md) ---------------------
install: install-plugins
.PHONY: install-plugins
install-plugins:
	$(MAKE) -C plugins/loyalty install PG_CONFIG=$(PG_CONFIG)

# --- issue 18: libFuzzer harnesses (fuzz/*.c, docs/reliability.md) ----------
# `make fuzz` builds fuzz/bin/<harness> with clang, libFuzzer, ASan and
# UBSan; the gateway's files (all but main.c; routes.c is included by
# fuzz/driver.c) are compiled once into fuzz/obj/ with coverage. scripts/fuzz.sh
# runs them; fuzz/json_args.c is the extension's harness (a backend module).
FUZZ_CC      ?= clang
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror $(FUZZ_SAN) \
                -Igateway -I$(shell $(PG_CONFIG) --includedir) -DPGCOMMERCE_VERSION='"$(EXTVERSION)"'
FUZZ_HARNESSES = $(filter-out driver json_args,$(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c)))
FUZZ_GW_OBJS  = $(patsubst gateway/%.c,fuzz/obj/%.o,$(filter-out gateway/main.c gateway/routes.c,$(GATEWAY_SRCS)))
EXTRA_CLEAN  += fuzz/bin fuzz/obj
.PHONY: fuzz
fuzz: $(addprefix fuzz/bin/,$(FUZZ_HARNESSES))

fuzz/obj/%.o: gateway/%.c $(GATEWAY_HDRS)
	@mkdir -p fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

fuzz/obj/driver.o: fuzz/driver.c fuzz/driver.h gateway/routes.c $(GATEWAY_HDRS)
	@mkdir -p fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
	  -DFUZZ_ROUTES_FILE='"$(abspath fuzz/routes.json)"' -c -o $@ $<

fuzz/bin/%: fuzz/%.c fuzz/driver.h fuzz/obj/driver.o $(FUZZ_GW_OBJS)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Ifuzz -o $@ $< fuzz/obj/driver.o $(FUZZ_GW_OBJS) $(GATEWAY_LIBS)

# The extension's harness: a backend module (fuzz/bin/json_args.so) with
# extension/json_args.c and errors.c compiled in with coverage, libFuzzer's
# runtime without its main, UBSan in trap mode (no runtime: a trap is a crash).
FUZZ_PG_FLAGS = -std=gnu11 -g -O1 -fPIC -shared -Wall -Werror -Wno-unused-command-line-argument -Wno-ignored-attributes \
                -fsanitize=fuzzer-no-link,undefined -fsanitize-trap=undefined \
                -Iextension -I$(shell $(PG_CONFIG) --includedir-server)
fuzz: fuzz/bin/json_args.so
fuzz/bin/json_args.so: fuzz/json_args.c extension/json_args.c extension/errors.c extension/command.h extension/errors.h
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_PG_FLAGS) -o $@ fuzz/json_args.c extension/json_args.c extension/errors.c \
	  -Wl,--whole-archive $(shell $(FUZZ_CC) -print-file-name=libclang_rt.fuzzer_no_main-x86_64.a) \
	  -Wl,--no-whole-archive -lstdc++
# `make test` builds the harnesses too: test/t/900 runs each briefly.
test: fuzz
