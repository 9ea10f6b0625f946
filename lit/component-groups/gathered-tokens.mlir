// Tokens gathered from an activation at constant indices (I-JEPA's context
// encoder reads its patches this way): the gather's operands are all
// constant, but its payload reads the activation (`tensor.extract` of a
// captured tensor), so its result is an activation. It used to count as a
// constant, and so did every layer after it: their groups listed no ops
// and no components (I-JEPA in linalg: 14 of 20 groups), so component
// options and interface groups could not see them. I-JEPA in linalg now
// has the groups of its TOSA form (17), ConvNeXt Torch-Pruning's (23).
// The gather reads channels at its own channel position (`linalg.index
// 1`), so the encoder's channels go on through it to the head: one group,
// prunable (it was frozen, "read by position"); I-JEPA has Torch-Pruning's
// 16 groups.
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-groups=grouping=vanilla report=%t.json' %s -o /dev/null
// RUN: FileCheck %s < %t.json
// CHECK: "ops": [
// CHECK-NEXT: "linalg.matmul#4 \"enc.0\"",
// CHECK-NEXT: "linalg.matmul#11 \"head.0\""
// CHECK-NEXT: ],
// CHECK: "prunable": true,
// CHECK: "ops": [
// CHECK-NEXT: "linalg.matmul#11 \"head.0\""
// CHECK-NEXT: ],
// CHECK-NEXT: "weights": [
// CHECK: "location": "head.0"
// CHECK: "frozen_reason": "model input or output at func.return"

#id = affine_map<(d0, d1) -> (d0)>
#out = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<4x8xf32>) -> tensor<2x3xf32> {
  %z = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[0.5, -0.2, 0.1, 0.9, 0.3, -0.4], [0.3, 0.9, -0.4, 0.2, -0.6, 0.8], [-0.7, 0.2, 0.6, -0.1, 0.4, 0.3], [0.2, -0.3, 0.8, 0.6, -0.2, 0.1], [0.1, 0.4, -0.6, 0.2, 0.7, -0.5], [0.9, -0.1, 0.2, -0.3, 0.5, 0.6], [-0.3, 0.5, 0.7, 0.8, -0.9, 0.2], [0.6, 0.1, -0.3, 0.4, 0.2, -0.7]]> : tensor<8x6xf32> loc("enc.0"("m.py":1:1))
  %e = tensor.empty() : tensor<4x6xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x6xf32>) outs(%f : tensor<4x6xf32>) -> tensor<4x6xf32> loc("enc.0"("m.py":1:1))
  %idx = arith.constant dense<[0, 2]> : tensor<2xi64> loc("ctx"("m.py":2:1))
  %eg = tensor.empty() : tensor<2x6xf32>
  %g = linalg.generic {indexing_maps = [#id, #out], iterator_types = ["parallel", "parallel"]} ins(%idx : tensor<2xi64>) outs(%eg : tensor<2x6xf32>) {
  ^bb0(%i: i64, %o: f32):
    %c = linalg.index 1 : index
    %r = arith.index_cast %i : i64 to index
    %v = tensor.extract %h[%r, %c] : tensor<4x6xf32>
    linalg.yield %v : f32
  } -> tensor<2x6xf32> loc("ctx"("m.py":2:1))
  %w2 = arith.constant dense<[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6], [0.2, -0.3, 0.8], [0.1, 0.4, -0.6], [0.9, -0.1, 0.2]]> : tensor<6x3xf32> loc("head.0"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%g, %w2 : tensor<2x6xf32>, tensor<6x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("head.0"("m.py":3:1))
  return %y : tensor<2x3xf32>
}
