// A payload that reads a tensor from outside its op (torch-mlir lowers some
// adaptive average pools to a gather: `tensor.extract` of a captured value
// at indices from constant tensors). No operand shows that use. The
// captured value's dims are frozen, and what computes it is rebuilt for the
// payload: the hidden layer before it used to stay unpruned while the plan
// counted it pruned ("internal error: the pruned module holds ...").
// The gather swaps the two rows (a gather of every element at its own
// position is a copy, read through: gathered-channels.mlir).
// The runs here pin rank=cost max-ratio=1 round-to=1, the selection these
// checks were written for: they are about the analysis and the rewrite,
// not the defaults (lit/component-prune/defaults.test covers those).
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-prune=rank=cost max-ratio=1 round-to=1 ratio=0.25 report=%t.json' %s 2>%t.err > %t.mlir
// RUN: %mlir-opt %t.mlir -o /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// CHECK-LABEL: func.func @main
// CHECK: linalg.matmul ins(%arg0, %{{.*}} : tensor<2x4xf32>, tensor<4x[[W:[1-7]]]xf32>)
// CHECK: %[[H2:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x[[W]]xf32>, tensor<[[W]]x3xf32>)
// CHECK: linalg.generic
// CHECK: tensor.extract %[[H2]][
// SUMMARY: component-prune: 56 -> 42 parameters
// REPORT: "frozen_reason": "read by position in 'the payload of linalg.generic'

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.25], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.125]]> : tensor<4x8xf32> loc("enc"("m.py":1:1))
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0], [1.0, 2.0, 3.5], [1.0, 2.0, 3.25], [1.0, 2.0, 3.125], [1.0, 2.5, 3.0], [1.0, 2.25, 3.0], [1.0, 2.125, 3.0], [1.5, 2.0, 3.0]]> : tensor<8x3xf32> loc("enc"("m.py":2:1))
  %rows = arith.constant dense<[[1, 1, 1], [0, 0, 0]]> : tensor<2x3xi64>
  %cols = arith.constant dense<[[0, 1, 2], [0, 1, 2]]> : tensor<2x3xi64>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32> loc("enc"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %h2 = linalg.matmul ins(%h, %w2 : tensor<2x8xf32>, tensor<8x3xf32>) outs(%f2 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("enc"("m.py":4:1))
  %y = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%rows, %cols : tensor<2x3xi64>, tensor<2x3xi64>) outs(%e2 : tensor<2x3xf32>) {
  ^bb0(%i: i64, %j: i64, %out: f32):
    %ii = arith.index_cast %i : i64 to index
    %jj = arith.index_cast %j : i64 to index
    %v = tensor.extract %h2[%ii, %jj] : tensor<2x3xf32>
    linalg.yield %v : f32
  } -> tensor<2x3xf32> loc("pool"("m.py":5:1))
  return %y : tensor<2x3xf32>
}
