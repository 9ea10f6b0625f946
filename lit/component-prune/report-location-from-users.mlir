// A weight constant without a name location takes, in the report, the one
// module path its users share. torch-mlir's TOSA export of a model that
// reads its weights in a rollout loop (the corpus Dreamers) folds each
// weight's transpose into a new constant at an unknown location, while the
// transpose and the matmul keep their module's name; without it apply_report
// cannot map the weight to its parameter. A constant two modules read (the
// bias below, added again by net.1) gets no location: which parameter it is
// cannot be told.
// RUN: %mcprune-opt '--component-prune=ratio=0.4 round-to=1 scope=local report=%t.json' %s -o /dev/null
// RUN: FileCheck %s < %t.json

// CHECK: "op": "arith.constant#1",
// CHECK-NOT: "op"
// CHECK: "location": "net.0"
// CHECK: "op": "arith.constant#2",
// CHECK-NOT: "location"
// CHECK: "removed"
// CHECK: "op": "arith.constant#10 \"net.2\""
// CHECK-NOT: "op"
// CHECK: "location": "net.2"
module {
  func.func @main(%x: tensor<4x6xf32>) -> tensor<4x3xf32> {
    %zero = arith.constant 0.0 : f32
    %w1 = arith.constant dense<[[0.689, 0.516, -0.159, -0.482, 0.023, -0.190], [-0.047, 0.167, 0.816, 0.009, -0.436, 0.512], [0.819, 0.966, 0.620, 0.804, -0.380, 0.460], [-0.056, -0.799, -0.132, 0.222, 0.826, 0.933], [-0.479, 0.610, 0.097, -0.972, 0.439, -0.202], [-0.998, -0.013, 0.735, -0.512, -0.350, 0.741], [0.237, -0.499, 0.798, 0.368, -0.046, 0.731], [0.650, 0.336, -0.618, 0.135, 0.568, -0.393]]> : tensor<8x6xf32> loc(unknown)
    %b1 = arith.constant dense<[-0.523, 0.935, 0.606, -0.104, -0.839, -0.360, 0.016, 0.866]> : tensor<8xf32> loc(unknown)
    %t_e = tensor.empty() : tensor<6x8xf32>
    %w1t = linalg.transpose ins(%w1 : tensor<8x6xf32>) outs(%t_e : tensor<6x8xf32>) permutation = [1, 0] loc("net.0")
    %l1_e = tensor.empty() : tensor<4x8xf32>
    %l1_i = linalg.fill ins(%zero : f32) outs(%l1_e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %l1_m = linalg.matmul ins(%x, %w1t : tensor<4x6xf32>, tensor<6x8xf32>) outs(%l1_i : tensor<4x8xf32>) -> tensor<4x8xf32> loc("net.0")
    %l1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%l1_m, %b1 : tensor<4x8xf32>, tensor<8xf32>) outs(%l1_e : tensor<4x8xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<4x8xf32> loc("net.0")
    %l1b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%l1, %b1 : tensor<4x8xf32>, tensor<8xf32>) outs(%l1_e : tensor<4x8xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      linalg.yield %s : f32
    } -> tensor<4x8xf32> loc("net.1")
    %w2 = arith.constant dense<[[-0.782, 0.103, 0.413], [0.095, 0.629, 0.081], [0.928, 0.206, 0.175], [-0.110, 0.193, -0.230], [0.151, -0.419, -0.621], [-0.627, 0.226, 0.313], [-0.047, -0.820, 0.515], [0.754, 0.847, 0.685]]> : tensor<8x3xf32> loc("net.2")
    %l2_e = tensor.empty() : tensor<4x3xf32>
    %l2_i = linalg.fill ins(%zero : f32) outs(%l2_e : tensor<4x3xf32>) -> tensor<4x3xf32>
    %l2 = linalg.matmul ins(%l1b, %w2 : tensor<4x8xf32>, tensor<8x3xf32>) outs(%l2_i : tensor<4x3xf32>) -> tensor<4x3xf32> loc("net.2")
    return %l2 : tensor<4x3xf32>
  }
}
