// One layer (net.2) read on two inputs' activations, its weight and bias
// held as two equal constants each: torch-mlir's TOSA export does this
// with the example's reward head, run once per rollout step. Compensation
// fitted the two copies apart, each on its own input's activations, so
// they came out different and no PyTorch parameter could hold both
// (apply_report gave the reward 5% off). Copies of one weight are fitted
// as one now, on both inputs' activations, and stay equal; so do the
// biases.
// RUN: %mcprune-opt '--component-prune=ratio=0.4 round-to=1 scope=local compensate=lstsq calibration=%S/Inputs/weight-read-twice.json' %s | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: %[[W2A:.*]] = arith.constant dense<[[W2:.*]]> : tensor<{{[0-9]+}}x3xf32>
// CHECK: %[[B2A:.*]] = arith.constant dense<[[B2:.*]]> : tensor<3xf32>
// CHECK: %[[W2B:.*]] = arith.constant dense<[[W2]]> : tensor<{{[0-9]+}}x3xf32>
// CHECK: %[[B2B:.*]] = arith.constant dense<[[B2]]> : tensor<3xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[W2A]] :
// CHECK: linalg.matmul ins(%{{.*}}, %[[W2B]] :
module {
  func.func @main(%x: tensor<4x6xf32>, %y: tensor<4x6xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
    %zero = arith.constant 0.0 : f32
    %w1 = arith.constant dense<[[-0.352, -0.698, 0.302, -0.855, 0.072, -0.269, -0.884, 0.015], [-0.925, -0.133, -0.86, -0.819, -0.151, 0.654, -0.752, -0.554], [0.255, 0.895, 0.154, -0.207, 0.953, -0.907, 0.717, -0.421], [-0.711, -0.764, -0.383, 0.632, -0.639, 0.163, 0.278, -0.255], [0.095, -0.874, -0.881, -0.588, 0.361, -0.145, -0.372, 0.171], [-0.094, -0.4, 0.589, 0.398, -0.512, 0.149, 0.05, 0.75]]> : tensor<6x8xf32> loc("net.0")
    %b1 = arith.constant dense<[0.459, -0.424, 0.96, -0.764, -0.164, 0.514, -0.696, -0.022]> : tensor<8xf32> loc("net.0")
    %w2a = arith.constant dense<[[-0.922, 0.336, 0.529], [0.146, 0.751, -0.373], [0.391, 0.189, 0.16], [-0.088, 0.68, 0.889], [-0.052, 0.328, -0.879], [0.403, 0.294, 0.986], [0.644, -0.431, -0.228], [0.337, -0.955, -0.077]]> : tensor<8x3xf32> loc("net.2")
    %b2a = arith.constant dense<[-0.664, -0.766, -0.882]> : tensor<3xf32> loc("net.2")
    %w2b = arith.constant dense<[[-0.922, 0.336, 0.529], [0.146, 0.751, -0.373], [0.391, 0.189, 0.16], [-0.088, 0.68, 0.889], [-0.052, 0.328, -0.879], [0.403, 0.294, 0.986], [0.644, -0.431, -0.228], [0.337, -0.955, -0.077]]> : tensor<8x3xf32> loc("net.2")
    %b2b = arith.constant dense<[-0.664, -0.766, -0.882]> : tensor<3xf32> loc("net.2")
    %hx_e = tensor.empty() : tensor<4x8xf32>
    %hx_i = linalg.fill ins(%zero : f32) outs(%hx_e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %hx_m = linalg.matmul ins(%x, %w1 : tensor<4x6xf32>, tensor<6x8xf32>) outs(%hx_i : tensor<4x8xf32>) -> tensor<4x8xf32> loc("net.0")
    %hx = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%hx_m, %b1 : tensor<4x8xf32>, tensor<8xf32>) outs(%hx_e : tensor<4x8xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<4x8xf32> loc("net.0")
    %hy_e = tensor.empty() : tensor<4x8xf32>
    %hy_i = linalg.fill ins(%zero : f32) outs(%hy_e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %hy_m = linalg.matmul ins(%y, %w1 : tensor<4x6xf32>, tensor<6x8xf32>) outs(%hy_i : tensor<4x8xf32>) -> tensor<4x8xf32> loc("net.0")
    %hy = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%hy_m, %b1 : tensor<4x8xf32>, tensor<8xf32>) outs(%hy_e : tensor<4x8xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<4x8xf32> loc("net.0")
    %ox_e = tensor.empty() : tensor<4x3xf32>
    %ox_i = linalg.fill ins(%zero : f32) outs(%ox_e : tensor<4x3xf32>) -> tensor<4x3xf32>
    %ox_m = linalg.matmul ins(%hx, %w2a : tensor<4x8xf32>, tensor<8x3xf32>) outs(%ox_i : tensor<4x3xf32>) -> tensor<4x3xf32> loc("net.2")
    %ox = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ox_m, %b2a : tensor<4x3xf32>, tensor<3xf32>) outs(%ox_e : tensor<4x3xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      linalg.yield %s : f32
    } -> tensor<4x3xf32> loc("net.2")
    %oy_e = tensor.empty() : tensor<4x3xf32>
    %oy_i = linalg.fill ins(%zero : f32) outs(%oy_e : tensor<4x3xf32>) -> tensor<4x3xf32>
    %oy_m = linalg.matmul ins(%hy, %w2b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%oy_i : tensor<4x3xf32>) -> tensor<4x3xf32> loc("net.2")
    %oy = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%oy_m, %b2b : tensor<4x3xf32>, tensor<3xf32>) outs(%oy_e : tensor<4x3xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      linalg.yield %s : f32
    } -> tensor<4x3xf32> loc("net.2")
    return %ox, %oy : tensor<4x3xf32>, tensor<4x3xf32>
  }
}
