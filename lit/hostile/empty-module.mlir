// An empty module: `mlir-opt` accepts it, so the pass does too and writes
// it unchanged, but it says plainly that there was nothing to prune (it
// used to say "short of the 40.00% asked: the prunable groups allow no
// more (0 of 0 groups ...)").
// RUN: %mcprune-opt --component-prune=ratio=0.4 %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt --component-prune=ratio=0.4 /dev/null 2>&1 | FileCheck %s --check-prefix=SUMMARY
// CHECK: module {
// CHECK-NEXT: }
// SUMMARY: component-prune: 0 -> 0 parameters (0.0% removed, target 40.0%), 0 of 0 groups pruned, FLOPs 0 -> 0
// SUMMARY-NEXT: note: the module holds no weights that feed a layer: nothing to prune, the module is written unchanged
