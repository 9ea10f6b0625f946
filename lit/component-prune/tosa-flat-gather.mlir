// torch-mlir's TOSA reads a gather's source flattened to [1, K, 1], at
// offsets computed by integer ops: here K = 4 tokens x 6 channels, and the
// gather picks tokens 3 and 1 (I-JEPA's context patches; its predictor's
// positional embeddings). The channels sat in K, read by position, so the
// encoder's group was frozen ("read by position in 'tosa.gather'"). The
// offsets fold to t * 6 + c, so the normalization reads whole rows of the
// [1, 4, 6] source instead, and the channels pass through; the second
// gather reads every element at its own offset (an adaptive pool of a 1x1
// map) and becomes a reshape.
// RUN: rm -f %t.json
// RUN: %mcprune-opt '--component-groups=grouping=vanilla report=%t.json' %s -o %t.groups.mlir
// RUN: FileCheck %s --check-prefix=GROUPS < %t.json
// component-groups leaves the IR as it was.
// RUN: FileCheck %s --check-prefix=UNCHANGED < %t.groups.mlir
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune' %s -o - 2>/dev/null | FileCheck %s --check-prefix=PRUNED

// GROUPS: "ops": [
// GROUPS-NEXT: "tosa.matmul#{{[0-9]+}} \"enc.0\"",
// GROUPS-NEXT: "tosa.matmul#{{[0-9]+}} \"head.0\""
// GROUPS: "prunable": true,
// GROUPS-NEXT: "frozen_reason": null,
// GROUPS: "frozen_reason": "model input or output at func.return"
// The tokens stay read by position; the channels no longer are.
// GROUPS: "frozen": [
// GROUPS: "op": "tosa.gather#{{[0-9]+}} \"ctx\"",
// GROUPS-NEXT: "value": "result 0 of 'tosa.matmul'",
// GROUPS-NEXT: "dims": [
// GROUPS-NEXT: 1
// GROUPS-NEXT: ],
// GROUPS-NEXT: "reason": "read by position in 'tosa.gather'"

// UNCHANGED-COUNT-2: tosa.gather {{.*}} : (tensor<1x{{24|12}}x1xf32>, tensor<1x12xi32>) -> tensor<1x12x1xf32>

// PRUNED-LABEL: func.func @main
// PRUNED: %[[H:.*]] = tosa.matmul {{.*}} -> tensor<1x4x2xf32>
// PRUNED: %[[T:.*]] = "tosa.const"() <{values = dense<{{\[\[}}3, 1]]> : tensor<1x2xi32>}>
// PRUNED: %[[G:.*]] = tosa.gather %[[H]], %[[T]] : (tensor<1x4x2xf32>, tensor<1x2xi32>) -> tensor<1x2x2xf32>
// PRUNED-NOT: tosa.gather
// PRUNED: tosa.matmul %[[G]], {{.*}} : (tensor<1x2x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>

func.func @main(%x: tensor<1x4x6xf32>) -> tensor<1x2x3xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %w1 = "tosa.const"() <{values = dense<[[[0.5, -0.2, 0.1, 0.9, 0.3, -0.4], [0.3, 0.9, -0.4, 0.2, -0.6, 0.8], [-0.7, 0.2, 0.6, -0.1, 0.4, 0.3], [0.2, -0.3, 0.8, 0.6, -0.2, 0.1], [0.1, 0.4, -0.6, 0.2, 0.7, -0.5], [0.9, -0.1, 0.2, -0.3, 0.5, 0.6]]]> : tensor<1x6x6xf32>}> : () -> tensor<1x6x6xf32> loc("enc.0"("m.py":1:1))
  %h = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x4x6xf32>, tensor<1x6x6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x6xf32> loc("enc.0"("m.py":1:1))
  // Tokens 3 and 1, at flat offsets t * 6 + c, as torch-mlir computes them.
  %tokens = "tosa.const"() <{values = dense<[[[3], [1]]]> : tensor<1x2x1xi64>}> : () -> tensor<1x2x1xi64> loc("ctx"("m.py":2:1))
  %m = tosa.const_shape {values = dense<[1, 1, 6]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %tt = tosa.tile %tokens, %m : (tensor<1x2x1xi64>, !tosa.shape<3>) -> tensor<1x2x6xi64> loc("ctx"("m.py":2:1))
  %tc = tosa.cast %tt : (tensor<1x2x6xi64>) -> tensor<1x2x6xi32> loc("ctx"("m.py":2:1))
  %s4 = tosa.const_shape {values = dense<[1, 2, 6, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %t4 = tosa.reshape %tc, %s4 : (tensor<1x2x6xi32>, !tosa.shape<4>) -> tensor<1x2x6x1xi32> loc("ctx"("m.py":2:1))
  %batch = "tosa.const"() <{values = dense<0> : tensor<1x2x6x1xi32>}> : () -> tensor<1x2x6x1xi32>
  %chan = "tosa.const"() <{values = dense<[[[[0], [1], [2], [3], [4], [5]], [[0], [1], [2], [3], [4], [5]]]]> : tensor<1x2x6x1xi32>}> : () -> tensor<1x2x6x1xi32>
  %coords = tosa.concat %batch, %t4, %chan {axis = 3 : i32} : (tensor<1x2x6x1xi32>, tensor<1x2x6x1xi32>, tensor<1x2x6x1xi32>) -> tensor<1x2x6x3xi32> loc("ctx"("m.py":2:1))
  %s2 = tosa.const_shape {values = dense<[12, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %flat = tosa.reshape %coords, %s2 : (tensor<1x2x6x3xi32>, !tosa.shape<2>) -> tensor<12x3xi32> loc("ctx"("m.py":2:1))
  %strides = "tosa.const"() <{values = dense<[[24, 6, 1]]> : tensor<1x3xi32>}> : () -> tensor<1x3xi32>
  %scaled = tosa.mul %flat, %strides, %shift : (tensor<12x3xi32>, tensor<1x3xi32>, tensor<1xi8>) -> tensor<12x3xi32> loc("ctx"("m.py":2:1))
  %offsets = tosa.reduce_sum %scaled {axis = 1 : i32} : (tensor<12x3xi32>) -> tensor<12x1xi32> loc("ctx"("m.py":2:1))
  %si = tosa.const_shape {values = dense<[1, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %idx = tosa.reshape %offsets, %si : (tensor<12x1xi32>, !tosa.shape<2>) -> tensor<1x12xi32> loc("ctx"("m.py":2:1))
  %sk = tosa.const_shape {values = dense<[1, 24, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %values = tosa.reshape %h, %sk : (tensor<1x4x6xf32>, !tosa.shape<3>) -> tensor<1x24x1xf32> loc("ctx"("m.py":2:1))
  %g = tosa.gather %values, %idx : (tensor<1x24x1xf32>, tensor<1x12xi32>) -> tensor<1x12x1xf32> loc("ctx"("m.py":2:1))
  %so = tosa.const_shape {values = dense<[1, 2, 6]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %picked = tosa.reshape %g, %so : (tensor<1x12x1xf32>, !tosa.shape<3>) -> tensor<1x2x6xf32> loc("ctx"("m.py":2:1))
  // Every element at its own offset (an adaptive pool of a 1x1 input).
  %sc = tosa.const_shape {values = dense<[1, 12, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %again = tosa.reshape %picked, %sc : (tensor<1x2x6xf32>, !tosa.shape<3>) -> tensor<1x12x1xf32> loc("pool"("m.py":3:1))
  %iota = "tosa.const"() <{values = dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]> : tensor<1x12xi64>}> : () -> tensor<1x12xi64> loc("pool"("m.py":3:1))
  %iota32 = tosa.cast %iota : (tensor<1x12xi64>) -> tensor<1x12xi32> loc("pool"("m.py":3:1))
  %copy = tosa.gather %again, %iota32 : (tensor<1x12x1xf32>, tensor<1x12xi32>) -> tensor<1x12x1xf32> loc("pool"("m.py":3:1))
  %pooled = tosa.reshape %copy, %so : (tensor<1x12x1xf32>, !tosa.shape<3>) -> tensor<1x2x6xf32> loc("pool"("m.py":3:1))
  %w2 = "tosa.const"() <{values = dense<[[[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6], [0.2, -0.3, 0.8], [0.1, 0.4, -0.6], [0.9, -0.1, 0.2]]]> : tensor<1x6x3xf32>}> : () -> tensor<1x6x3xf32> loc("head.0"("m.py":4:1))
  %y = tosa.matmul %pooled, %w2, %zp, %zp : (tensor<1x2x6xf32>, tensor<1x6x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32> loc("head.0"("m.py":4:1))
  return %y : tensor<1x2x3xf32>
}
