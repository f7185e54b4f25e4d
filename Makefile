# NumDialer: make (both programs), make test, make clean, make install,
# make SAN=1 ... (AddressSanitizer + UndefinedBehaviorSanitizer build).

PREFIX ?= /usr/local
CC ?= cc
# The release, from VERSION: numdialer.fcgi --version and the page's footer.
VERSION := $(shell cat VERSION)
PKG_CONFIG ?= pkg-config

BUILD := build
CFLAGS_SAN :=
ifeq ($(SAN),1)
BUILD := build/san
CFLAGS_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -DNUMDIALER_VERSION='"$(VERSION)"' $(WARN) $(HARDEN) $(CFLAGS) $(CFLAGS_SAN) -pthread
ALL_LDFLAGS := $(LDFLAGS) $(CFLAGS_SAN) -pthread

FCGI_LIBS := $(shell $(PKG_CONFIG) --libs fcgi 2>/dev/null || echo -lfcgi)
DIALER_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl json-c libcrypto 2>/dev/null)
DIALER_LIBS := $(FCGI_LIBS) $(shell $(PKG_CONFIG) --libs libcurl json-c libcrypto 2>/dev/null)
SIM_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmicrohttpd libcurl json-c libcrypto 2>/dev/null)
SIM_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd libcurl json-c libcrypto 2>/dev/null)
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# The modules the unit tests link: no threads, no sockets, no globals. Most
# are pure; numbers, settings and dnc also read their own files, the journal
# writes its own, which its test makes in /tmp, wire writes to a socket its
# test makes with socketpair, hours reads the tz database under a lock of
# its own around TZ, twilio reads the token file its test makes in /tmp, and
# the gate accepts on a unix socket its test makes in /tmp (no thread of
# its own: the test's thread waits in it).
PURE := status campaign history buf report numbers settings hosts webhook render outcome journal hex util http wire e164 \
    hours dnc exposition twilio gate
DIALER_SRC := $(wildcard src/*.c)
SIM_SRC := $(wildcard src/sim/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

DIALER_OBJ := $(DIALER_SRC:src/%.c=$(BUILD)/%.o)
PURE_OBJ := $(PURE:%=$(BUILD)/%.o)
SIM_OBJ := $(SIM_SRC:src/sim/%.c=$(BUILD)/sim/%.o) $(BUILD)/util.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

FCGI_BIN := $(BUILD)/numdialer.fcgi
SIM_BIN := $(BUILD)/apisim

.PHONY: all test deps unit system browser clean install deb sanitize valgrind bench bench-smoke
.PHONY: fuzz fuzz-regress
all: $(FCGI_BIN) $(SIM_BIN) $(UNIT_BIN)
ifneq ($(SAN),1)
all: cgi-bin/numdialer.fcgi
endif

cgi-bin/numdialer.fcgi: $(FCGI_BIN)
	install -m 755 $< $@

$(FCGI_BIN): $(DIALER_OBJ)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(DIALER_LIBS)

$(SIM_BIN): $(SIM_OBJ)
	$(CC) -o $@ $^ $(ALL_LDFLAGS) $(SIM_LIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DIALER_CFLAGS) -c -o $@ $<

# The one object that names the version.
$(BUILD)/main.o: VERSION

$(BUILD)/sim/%.o: src/sim/%.c $(wildcard src/sim/*.h) src/util.h | $(BUILD)/sim
	$(CC) $(ALL_CFLAGS) $(SIM_CFLAGS) -Isrc -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(PURE_OBJ) $(wildcard src/*.h) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(DIALER_CFLAGS) $(TEST_CFLAGS) -Isrc -o $@ $< $(PURE_OBJ) \
	    $(ALL_LDFLAGS) $(TEST_LIBS) $(shell $(PKG_CONFIG) --libs json-c libcurl libcrypto 2>/dev/null)

$(BUILD) $(BUILD)/sim $(BUILD)/tests:
	mkdir -p $@

# Installs what building, running and testing need and is missing (Debian
# packages, the tests' npm packages); scripts/numdialer start installs only
# what running needs (install-deps.sh --run).
deps:
	scripts/install-deps.sh --test

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

system: all
	NUMDIALER_BUILD=$(BUILD) node --test --test-concurrency=1 tests/system/

browser: all
	NUMDIALER_BUILD=$(BUILD) node --test tests/browser/

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) system
	$(MAKE) browser
	$(MAKE) valgrind
	$(MAKE) fuzz-regress
	$(MAKE) fuzz FUZZ_SECONDS=60
	$(MAKE) sanitize
	$(MAKE) bench-smoke

# Benchmarks (scripts/bench/, docs/BENCHMARKS.md): make bench prints the
# table and writes it to $(BUILD)/bench/results.md and .json; bench-smoke
# runs every row at a tiny size in seconds and fails only on a crash, never
# on a figure. The watcher row needs open files: the limit goes to its hard
# maximum first.
BENCH_RESPONDER := $(BUILD)/bench/empty_responder
BENCH_WATCHERS := $(BUILD)/bench/watchers
BENCH_RUN = ulimit -n "$$(ulimit -Hn)"; BENCH_SMOKE=$(BENCH_SMOKE) NUMDIALER_BUILD=$(BUILD) \
    node scripts/bench/run.mjs

$(BENCH_RESPONDER): scripts/bench/empty_responder.c | $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(FCGI_LIBS)

$(BENCH_WATCHERS): scripts/bench/watchers.c | $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

$(BUILD)/bench:
	mkdir -p $@

bench: deps
	$(MAKE) all $(BENCH_RESPONDER) $(BENCH_WATCHERS)
	$(BENCH_RUN)

bench-smoke: BENCH_SMOKE := 1
bench-smoke: all $(BENCH_RESPONDER) $(BENCH_WATCHERS)
	$(BENCH_RUN)

# The unit tests and the system tests again, built with the sanitizers.
sanitize:
	$(MAKE) SAN=1 all unit system

valgrind: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
	    valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all $$t; done

# Fuzzing with libFuzzer (Debian's clang): one target per parser of outside
# input, in tests/fuzz/. `make fuzz` runs each for FUZZ_SECONDS on a copy of
# its committed seed corpus (tests/fuzz/corpus/<target>/, never written to);
# a crash fails it and leaves the input in build/fuzz/crashes/<target>/, to
# be committed under tests/fuzz/regressions/<target>/. `make fuzz-regress`
# replays the regressions and the seeds once each.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 9000
FUZZ_TARGETS := webhook query numbers settings outcome journal twilio_answer twilio_signature
FUZZ_DIR := build/fuzz
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
# Everything but main(): the request target drives the routes.
FUZZ_SRC := $(filter-out src/main.c,$(DIALER_SRC))
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE $(WARN) -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -pthread

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(wildcard src/*.h) | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DIALER_CFLAGS) -Isrc -o $@ $< $(FUZZ_SRC) $(DIALER_LIBS)

$(FUZZ_DIR):
	mkdir -p $@

fuzz: $(FUZZ_BIN)
	@failed=; for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crashes/$$t; \
	    cp tests/fuzz/corpus/$$t/* $(FUZZ_DIR)/corpus/$$t/; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
	        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ $(FUZZ_DIR)/corpus/$$t \
	        > $(FUZZ_DIR)/$$t.log 2>&1; rc=$$?; \
	    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|#[0-9]+ +DONE)' \
	        $(FUZZ_DIR)/$$t.log; \
	    if [ $$rc -ne 0 ]; then tail -n 60 $(FUZZ_DIR)/$$t.log; failed="$$failed $$t"; \
	        echo "fuzz $$t FAILED: input in $(FUZZ_DIR)/crashes/$$t/; commit it under tests/fuzz/regressions/$$t/"; fi; \
	done; [ -z "$$failed" ] || { echo "fuzz: failed:$$failed"; exit 1; }

fuzz-regress: $(FUZZ_BIN)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    echo "== fuzz-regress $$t"; \
	    $(FUZZ_DIR)/fuzz_$$t tests/fuzz/corpus/$$t/* \
	        $$(find tests/fuzz/regressions/$$t -type f 2>/dev/null) > $(FUZZ_DIR)/$$t-regress.log 2>&1 \
	        || { tail -n 60 $(FUZZ_DIR)/$$t-regress.log; exit 1; }; \
	    grep -c '^Running: ' $(FUZZ_DIR)/$$t-regress.log | sed 's/^/inputs replayed: /'; \
	done

# make install [PREFIX=/usr/local] [DESTDIR=]: what a running dialer needs,
# where the installed admin script looks for it (scripts/numdialer, "where
# its files are"): the programs in PREFIX/lib/numdialer, the admin script
# as PREFIX/bin/numdialer, the page and the web servers' configurations in
# PREFIX/share/numdialer, the settings in SYSCONFDIR/numdialer (an existing
# numdialer.conf is kept), the systemd unit, the man page, the README and
# the examples (nginx site, logrotate) in PREFIX/share/doc/numdialer. The
# templates get their paths here.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
LIBDIR := $(PREFIX)/lib/numdialer
DATADIR := $(PREFIX)/share/numdialer
DOCDIR := $(PREFIX)/share/doc/numdialer
MANDIR := $(PREFIX)/share/man
INSTALL_PATHS := -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: $(FCGI_BIN) $(SIM_BIN)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/htdocs \
	    $(DESTDIR)$(DATADIR)/conf $(DESTDIR)$(SYSCONFDIR)/numdialer $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(FCGI_BIN) $(SIM_BIN) $(DESTDIR)$(LIBDIR)/
	install -m 755 scripts/numdialer $(DESTDIR)$(PREFIX)/bin/numdialer
	install -m 644 htdocs/* $(DESTDIR)$(DATADIR)/htdocs/
	install -m 644 conf/lighttpd.conf conf/nginx.conf conf/nginx-routes.conf conf/numbers.txt \
	    $(DESTDIR)$(DATADIR)/conf/
	sed $(INSTALL_PATHS) conf/numdialer-nginx.conf >$(DESTDIR)$(DATADIR)/conf/numdialer-nginx.conf
	sed $(INSTALL_PATHS) conf/numdialer.service >$(DESTDIR)$(UNITDIR)/numdialer.service
	chmod 644 $(DESTDIR)$(DATADIR)/conf/numdialer-nginx.conf $(DESTDIR)$(UNITDIR)/numdialer.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/numdialer/numdialer.conf ] || \
	    install -m 644 conf/numdialer.conf $(DESTDIR)$(SYSCONFDIR)/numdialer/numdialer.conf
	install -m 644 conf/numdialer.conf conf/numdialer.logrotate $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 README.md docs/ARCHITECTURE.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/numdialer.1 $(DESTDIR)$(MANDIR)/man1/numdialer.1

# The Debian package, build/numdialer_VERSION_ARCH.deb, checked by lintian
# (scripts/deb says how it is made).
deb:
	scripts/deb

clean:
	rm -rf build cgi-bin/numdialer.fcgi
