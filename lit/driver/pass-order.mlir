// Passes run in command-line order, ours interleaved with upstream ones;
// flag passes anchored on functions (tosa-to-linalg) are nested.
// RUN: %mcprune-opt --component-tag --canonicalize %s | FileCheck %s --check-prefix=TAG-FIRST
// RUN: %mcprune-opt --pass-pipeline='builtin.module(component-tag{strategy=loc}, canonicalize)' %s | FileCheck %s --check-prefix=TAG-FIRST
// RUN: %mcprune-opt --tosa-to-linalg --component-tag %s | FileCheck %s --check-prefix=LOWERED

func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = arith.constant dense<1.0> : tensor<1x4xf32> loc("enc.0"("m.py":1:1))
  %y = arith.mulf %x, %c : tensor<1x4xf32> loc("enc.0"("m.py":2:1))
  %z = tosa.clamp %y {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("act.0"("m.py":3:1))
  return %z : tensor<1x4xf32>
}
// Canonicalize folds x * 1 after tagging; the clamp keeps its tag.
// TAG-FIRST-NOT: arith.mulf
// TAG-FIRST: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, mcprune.component = "act", min_val = 0.000000e+00 : f32}

// The clamp was lowered to linalg before tagging: its replacement is tagged.
// LOWERED: linalg.generic
// LOWERED-SAME: mcprune.component = "act"
