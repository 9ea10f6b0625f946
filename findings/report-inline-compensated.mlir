// Calibrated pruning rewrites a consumer's inline weight, but the report
// cannot say so (found applying reports to the corpus, issue 12).
//
//   mcprune-opt '--component-prune=ratio=0.4 round-to=1 compensate=lstsq
//     calibration=findings/report-inline-compensated.inputs.json report=r.json'
//     findings/report-inline-compensated.mlir -o pruned.mlir
//
// net.2's weight and bias (arith.constant #7 and #8, inline dense
// literals) change values in pruned.mlir (lstsq compensation for net.0's
// removed channels), but their report entries are
//   {"op": "arith.constant#7 \"net.2\"", "shape": [8, 3], "dim": 0, ...}
// with no `resource`: the report marks compensation only by renaming a
// dense_resource blob `_compensated`, which an inline constant does not
// have. torch-mlir's TOSA export holds every convolution filter and matmul
// weight inline (it folds their transposes), so a consumer of a TOSA model
// is compensated unseen: apply_report without `pruned=` neither refuses
// nor copies (ResNet-18 TOSA, lstsq: outputs 3% off before apply_report
// learnt to copy inline constants by location and shape). Expected: every
// weight entry whose values compensation changed says so (for example
// `"compensated": true`), whatever holds its data.
module {
  func.func @main(%x: tensor<8x6xf32>) -> tensor<8x3xf32> {
    %zero = arith.constant 0.0 : f32
    %l1_w = arith.constant dense<[[0.689, 0.516, -0.159, -0.482, 0.023, -0.190, 0.568, -0.393], [-0.047, 0.167, 0.816, 0.009, -0.436, 0.512, 0.237, -0.499], [0.819, 0.966, 0.620, 0.804, -0.380, 0.460, 0.798, 0.368], [-0.056, -0.799, -0.132, 0.222, 0.826, 0.933, -0.046, 0.731], [-0.479, 0.610, 0.097, -0.972, 0.439, -0.202, 0.650, 0.336], [-0.998, -0.013, 0.735, -0.512, -0.350, 0.741, -0.618, 0.135]]> : tensor<6x8xf32> loc("net.0")
    %l1_b = arith.constant dense<[-0.523, 0.935, 0.606, -0.104, -0.839, -0.360, 0.016, 0.866]> : tensor<8xf32> loc("net.0")
    %l1_e = tensor.empty() : tensor<8x8xf32>
    %l1_i = linalg.fill ins(%zero : f32) outs(%l1_e : tensor<8x8xf32>) -> tensor<8x8xf32>
    %l1_m = linalg.matmul ins(%x, %l1_w : tensor<8x6xf32>, tensor<6x8xf32>) outs(%l1_i : tensor<8x8xf32>) -> tensor<8x8xf32>
    %l1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%l1_m, %l1_b : tensor<8x8xf32>, tensor<8xf32>) outs(%l1_e : tensor<8x8xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<8x8xf32>
    %l2_w = arith.constant dense<[[-0.782, 0.103, 0.413], [0.095, 0.629, 0.081], [0.928, 0.206, 0.175], [-0.110, 0.193, -0.230], [0.151, -0.419, -0.621], [-0.627, 0.226, 0.313], [-0.047, -0.820, 0.515], [0.754, 0.847, 0.685]]> : tensor<8x3xf32> loc("net.2")
    %l2_b = arith.constant dense<[0.796, 0.846, 0.081]> : tensor<3xf32> loc("net.2")
    %l2_e = tensor.empty() : tensor<8x3xf32>
    %l2_i = linalg.fill ins(%zero : f32) outs(%l2_e : tensor<8x3xf32>) -> tensor<8x3xf32>
    %l2_m = linalg.matmul ins(%l1, %l2_w : tensor<8x8xf32>, tensor<8x3xf32>) outs(%l2_i : tensor<8x3xf32>) -> tensor<8x3xf32>
    %l2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%l2_m, %l2_b : tensor<8x3xf32>, tensor<3xf32>) outs(%l2_e : tensor<8x3xf32>) {
    ^bb0(%p: f32, %q: f32, %out: f32):
      %s = arith.addf %p, %q : f32
      linalg.yield %s : f32
    } -> tensor<8x3xf32>
    return %l2 : tensor<8x3xf32>
  }
}
