// torch-mlir's TOSA form of a grouped convolution (here 2 groups of 2
// channels): the input and the filter are sliced per group, one
// tosa.conv2d per group, and a concat joins their outputs. Each group's
// output channels used to be a pruning group of their own (ResNeXt: 26
// groups in TOSA against 14 in linalg and in Torch-Pruning; RegNet-Y: 212
// against 54). Equal slices that tile a weight's dim are one layer, so the
// conv groups lose the same channels and keep their count, as in linalg.
// RUN: %mcprune-opt --component-groups=grouping=vanilla %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=GROUPS
// GROUPS: groups 3 4
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune round-to=1 max-ratio=1 rank=cost' %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.5 grouping=vanilla interfaces=prune round-to=1 max-ratio=1 rank=cost' %s | %mlir-opt -o /dev/null
// SUMMARY: component-prune: 32 -> 14 parameters (56.2% removed, target 50.0%), 2 of 3 groups pruned
// CHECK-LABEL: func.func @main
// CHECK: tosa.conv2d %arg0, {{.*}} -> tensor<1x2x2x2xf32>
// CHECK-COUNT-2: tosa.conv2d {{.*}} : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, {{.*}} -> tensor<1x2x2x1xf32>
// CHECK: tosa.concat {{.*}} -> tensor<1x2x2x2xf32>

func.func @main(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %w0 = "tosa.const"() <{values = dense_resource<w0> : tensor<4x1x1x4xf32>}> : () -> tensor<4x1x1x4xf32> loc("trunk.0"("m.py":1:1))
  %b4 = "tosa.const"() <{values = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %h = tosa.conv2d %x, %w0, %b4, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x4xf32> loc("trunk.0"("m.py":1:1))
  %w1 = "tosa.const"() <{values = dense_resource<w1> : tensor<4x1x1x2xf32>}> : () -> tensor<4x1x1x2xf32> loc("trunk.1"("m.py":2:1))
  %b2 = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s0 = tosa.const_shape {values = dense<[0, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s2 = tosa.const_shape {values = dense<[0, 0, 0, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %k2 = tosa.const_shape {values = dense<[2, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %xs = tosa.const_shape {values = dense<[1, 2, 2, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %ws = tosa.const_shape {values = dense<[2, 1, 1, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x0 = tosa.slice %h, %s0, %xs : (tensor<1x2x2x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x2xf32> loc("trunk.1"("m.py":2:1))
  %f0 = tosa.slice %w1, %s0, %ws : (tensor<4x1x1x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<2x1x1x2xf32> loc("trunk.1"("m.py":2:1))
  %y0 = tosa.conv2d %x0, %f0, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("trunk.1"("m.py":2:1))
  %x1 = tosa.slice %h, %s2, %xs : (tensor<1x2x2x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x2x2x2xf32> loc("trunk.1"("m.py":2:1))
  %f1 = tosa.slice %w1, %k2, %ws : (tensor<4x1x1x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<2x1x1x2xf32> loc("trunk.1"("m.py":2:1))
  %y1 = tosa.conv2d %x1, %f1, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("trunk.1"("m.py":2:1))
  %y = tosa.concat %y0, %y1 {axis = 3 : i32} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x4xf32> loc("trunk.1"("m.py":2:1))
  %w2 = "tosa.const"() <{values = dense_resource<w2> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32> loc("head.0"("m.py":3:1))
  %out = tosa.conv2d %y, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("head.0"("m.py":3:1))
  return %out : tensor<1x2x2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000005839B4BE21B032BFBE9F9A3E48E15ABFBC74933D5EBA89BED34D62BF8FC2753CCDCC6CBF273108BEF6285CBFFCA951BFBE9F1ABE8B6C273F128340BFF2D20DBF",
      w1: "0x040000005C8F823EB81E653F2DB21D3ECFF753BECFF7733F273168BF508D373F508DD7BE",
      w2: "0x04000000190436BF819543BF9318C4BEC1CA213F819523BF79E9263E04568E3E5C8F82BE"
    }
  }
#-}
