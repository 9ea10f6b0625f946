// Positional reads in payloads (torch-mlir's gather and adaptive pooling):
// a token gather reads its channels at the result's own channel
// (`linalg.index 1`), so the channels it reads are the ones it writes; a
// gather of every element at its own position (a 1x1 adaptive pool of a
// 1x1 input, indices in data) is a copy. Both used to freeze the layer
// before them ("read by position in 'the payload of linalg.generic'":
// I-JEPA's token selection, ConvNeXt's last stage). Now the token gather
// loses the layer's channels with it, and the copy is read through.
// RUN: %mcprune-opt '--component-groups=grouping=vanilla' %s -o /dev/null 2>%t.groups
// RUN: FileCheck %s --check-prefix=GROUPS < %t.groups
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune rank=cost max-ratio=1 round-to=1' %s 2>%t.err > %t.mlir
// RUN: %mlir-opt %t.mlir -o /dev/null
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err

// Two groups: the embedding's 8 channels, prunable (an interface from
// embed to head, two pieces), and the head's
// (the model output).
// GROUPS: groups 2 3
// GROUPS: interface groups 1 1
// SUMMARY: 56 -> 28 parameters (50.0% removed, target 50.0%), 1 of 2 groups pruned

// The embedding keeps channels 0, 2, 3 and 7; the token gather reads
// them from the pruned embedding, and the head reads the gather: the
// copy is gone.
// CHECK-LABEL: func.func @main
// CHECK: arith.constant dense<{{\[}}[0.899999976, 2.000000e-01, -8.000000e-01, 4.000000e-01]{{.*}} : tensor<4x4xf32>
// CHECK: %[[H:.*]] = linalg.matmul {{.*}} -> tensor<6x4xf32>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs({{.*}} : tensor<4x4xf32>)
// CHECK: tensor.extract %[[H]]
// CHECK-NOT: tensor.extract
// CHECK: linalg.matmul ins(%[[G]], {{.*}} : tensor<4x4xf32>, tensor<4x3xf32>)
// CHECK: return

#tokens = affine_map<(d0, d1) -> (d0)>
#row = affine_map<(d0, d1) -> (0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%x: tensor<6x4xf32>) -> tensor<4x3xf32> {
  %z = arith.constant 0.0 : f32
  %w1 = arith.constant dense<[[0.9, -0.1, 0.2, -0.8, 0.3, 0.05, -0.6, 0.4], [0.7, 0.05, -0.3, 0.6, -0.2, 0.1, 0.5, -0.1], [-0.8, 0.1, 0.25, 0.9, 0.15, -0.05, 0.3, 0.2], [0.6, -0.02, 0.1, -0.7, 0.4, 0.02, -0.2, 0.6]]> : tensor<4x8xf32> loc("embed"("m.py":1:1))
  %e68 = tensor.empty() : tensor<6x8xf32>
  %f68 = linalg.fill ins(%z : f32) outs(%e68 : tensor<6x8xf32>) -> tensor<6x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<6x4xf32>, tensor<4x8xf32>) outs(%f68 : tensor<6x8xf32>) -> tensor<6x8xf32> loc("embed"("m.py":2:1))
  // Tokens 5, 0, 3, 1, every channel: out[t, c] = h[idx[t], c].
  %idx = arith.constant dense<[5, 0, 3, 1]> : tensor<4xi64>
  %e48 = tensor.empty() : tensor<4x8xf32>
  %g = linalg.generic {indexing_maps = [#tokens, #id], iterator_types = ["parallel", "parallel"]} ins(%idx : tensor<4xi64>) outs(%e48 : tensor<4x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %t = arith.index_cast %in : i64 to index
    %c = linalg.index 1 : index
    %v = tensor.extract %h[%t, %c] : tensor<6x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32> loc("select"("m.py":3:1))
  // A copy: rows at their own position, channels at the positions an
  // index tensor holds (0 .. 7), negative indices wrapped as torch-mlir does.
  %iota = arith.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<1x8xi64>
  %c0 = arith.constant 0 : i64
  %c8 = arith.constant 8 : i64
  %q = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%iota : tensor<1x8xi64>) outs(%e48 : tensor<4x8xf32>) {
  ^bb0(%in: i64, %out: f32):
    %r = linalg.index 0 : index
    %neg = arith.cmpi slt, %in, %c0 : i64
    %wrapped = arith.addi %in, %c8 : i64
    %i = arith.select %neg, %wrapped, %in : i64
    %c = arith.index_cast %i : i64 to index
    %v = tensor.extract %g[%r, %c] : tensor<4x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32> loc("pool"("m.py":4:1))
  %w2 = arith.constant dense<[[0.3, -0.2, 0.1], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [0.1, 0.2, 0.3], [-0.3, 0.2, 0.4], [0.6, -0.5, 0.1], [0.2, 0.3, -0.9], [0.8, 0.1, 0.7]]> : tensor<8x3xf32> loc("head"("m.py":5:1))
  %e3 = tensor.empty() : tensor<4x3xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.matmul ins(%q, %w2 : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f3 : tensor<4x3xf32>) -> tensor<4x3xf32> loc("head"("m.py":6:1))
  return %y : tensor<4x3xf32>
}
