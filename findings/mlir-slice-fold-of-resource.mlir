// FINDING (upstream MLIR 22, not mcprune): folding a tosa.slice of a
// dense_resource constant down to one element aborts the process:
//   ElementsAttr does not provide iteration facilities for type
//   `mlir::Attribute`, see attribute: dense_resource<w> : tensor<2x1x1x1xf32>
//
//   mlir-opt --canonicalize mlir-slice-fold-of-resource.mlir    (SIGTRAP, exit 133)
//
// Random model seed 387 of issue 13 (a TOSA grouped convolution with one
// channel per group and a 1x1 kernel: each group's filter is a one-element
// slice of the weight) took the soak's process down: the CPU harness
// (src/ir/exec.rs) lowers TOSA with passes that fold. mcprune-opt
// --component-prune itself does not fold and prunes the model; a user who
// canonicalizes the same file with mlir-opt crashes the same way.
// torch-mlir lowers such a convolution (groups = channels) to
// tosa.depthwise_conv2d, so the generator now writes grouped convolutions
// with at least two channels per group only. Pruning can still make one:
// seed 6066 (critic.3, 1x1 grouped, 2 channels per group) prunes (exit 0) to
// one channel per group, and the output then crashes the same way:
//   mcprune-gen --family random --seed 6066 -o m.mlir
//   mcprune-opt '--component-prune=ratio=0.5 grouping=component interfaces=prune scope=local round-to=1' m.mlir -o p.mlir
//   mlir-opt --canonicalize m.mlir   (fine)
//   mlir-opt --canonicalize p.mlir   (aborts: dense_resource<w6_pruned> : tensor<4x1x1x1xf32>)
func.func @main(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense_resource<w> : tensor<2x1x1x1xf32>}> : () -> tensor<2x1x1x1xf32>
  %start = tosa.const_shape {values = dense<[1, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 1, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s = tosa.slice %w, %start, %size : (tensor<2x1x1x1xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x1x1x1xf32>
  return %s : tensor<1x1x1x1xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040"
    }
  }
#-}
