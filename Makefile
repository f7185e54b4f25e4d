# NumDialer: make (both programs), make test, make clean, make install,
# make SAN=1 ... (AddressSanitizer + UndefinedBehaviorSanitizer build).

PREFIX ?= /usr/local
CC ?= cc
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
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE $(WARN) $(HARDEN) $(CFLAGS) $(CFLAGS_SAN) -pthread
ALL_LDFLAGS := $(LDFLAGS) $(CFLAGS_SAN) -pthread

FCGI_LIBS := $(shell $(PKG_CONFIG) --libs fcgi 2>/dev/null || echo -lfcgi)
DIALER_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl json-c 2>/dev/null)
DIALER_LIBS := $(FCGI_LIBS) $(shell $(PKG_CONFIG) --libs libcurl json-c 2>/dev/null)
SIM_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmicrohttpd libcurl json-c 2>/dev/null)
SIM_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd libcurl json-c 2>/dev/null)
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# The pure modules: no I/O, unit-tested on their own.
PURE := status campaign numbers settings webhook render
DIALER_SRC := $(wildcard src/*.c)
SIM_SRC := $(wildcard src/sim/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

DIALER_OBJ := $(DIALER_SRC:src/%.c=$(BUILD)/%.o)
PURE_OBJ := $(PURE:%=$(BUILD)/%.o)
SIM_OBJ := $(SIM_SRC:src/sim/%.c=$(BUILD)/sim/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

FCGI_BIN := $(BUILD)/numdialer.fcgi
SIM_BIN := $(BUILD)/apisim

.PHONY: all test deps unit system browser clean install sanitize valgrind
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

$(BUILD)/sim/%.o: src/sim/%.c $(wildcard src/sim/*.h) | $(BUILD)/sim
	$(CC) $(ALL_CFLAGS) $(SIM_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(PURE_OBJ) $(wildcard src/*.h) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(DIALER_CFLAGS) $(TEST_CFLAGS) -Isrc -o $@ $< $(PURE_OBJ) \
	    $(ALL_LDFLAGS) $(TEST_LIBS) $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)

$(BUILD) $(BUILD)/sim $(BUILD)/tests:
	mkdir -p $@

# Installs what is missing (Debian packages, the browser-test driver).
deps:
	scripts/install-deps.sh

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

# The unit tests and the system tests again, built with the sanitizers.
sanitize:
	$(MAKE) SAN=1 all unit system

valgrind: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
	    valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all $$t; done

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/numdialer/cgi-bin $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(FCGI_BIN) $(DESTDIR)$(PREFIX)/lib/numdialer/cgi-bin/numdialer.fcgi
	install -m 755 $(SIM_BIN) $(DESTDIR)$(PREFIX)/bin/apisim
	cp -R htdocs conf scripts $(DESTDIR)$(PREFIX)/lib/numdialer/

clean:
	rm -rf build cgi-bin/numdialer.fcgi
