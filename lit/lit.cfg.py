# lit configuration for mcprune's regression tests.
#
# Run through `cargo test` (tests/it/lit.rs passes the built binary), or by
# hand: /usr/lib/llvm-22/bin/lit -sv --param mcprune_opt=target/debug/mcprune-opt lit

import os
import sys

import lit.formats

config.name = "mcprune"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["Inputs", "lit.cfg.py"]

repo = os.path.dirname(config.test_source_root)
llvm_bin = "/usr/lib/llvm-22/bin"

mcprune_opt = lit_config.params.get("mcprune_opt") or os.environ.get("MCPRUNE_OPT")
if not mcprune_opt:
    mcprune_opt = os.path.join(repo, "target", "debug", "mcprune-opt")
if not os.path.exists(mcprune_opt):
    lit_config.fatal("mcprune-opt not found at %s (build it or pass --param mcprune_opt=PATH)" % mcprune_opt)

config.substitutions.append(("%mcprune-opt", mcprune_opt))
config.substitutions.append(("%mcprune-gen", os.path.join(os.path.dirname(mcprune_opt), "mcprune-gen")))
config.substitutions.append(("%mlir-opt", os.path.join(llvm_bin, "mlir-opt")))
config.substitutions.append(("%fixtures", os.path.join(repo, "tests", "fixtures")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%scripts", os.path.join(repo, "scripts")))
config.substitutions.append(("%examples", os.path.join(repo, "examples")))
config.substitutions.append(("%readme", os.path.join(repo, "README.md")))
config.substitutions.append(("%python", sys.executable))
# `%exit1 CMD`: CMD must exit with exactly 1 (an error), not crash or panic.
config.substitutions.append(("%exit1", "bash " + os.path.join(config.test_source_root, "Inputs", "expect-exit.sh") + " 1"))

# FileCheck, not, split-file come from LLVM 22.
config.environment["PATH"] = os.pathsep.join([llvm_bin, os.environ.get("PATH", "")])
