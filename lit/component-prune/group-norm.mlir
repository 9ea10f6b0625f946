// GroupNorm between two convolutions (torch.nn.GroupNorm(4, 16), exported
// with the project's exporter, locations stripped). torch-mlir computes the
// per-channel scale and shift by gathering a (group, channel-in-group)
// tensor at positions held in integer tables (`tensor<1x16xi64>`). Pruning
// failed here with "could not push a channel selection through
// arith.constant": the tables run along the channel dim but were not
// weights. They are sliced now, keeping their values: they point into the
// per-group tensor, which keeps its size. The groups stay, each loses the
// same channels (units of the factored dim), and the statistics divide by
// the smaller group size (2 x 64 = 128). The result equals
// torch.nn.GroupNorm(4, 8) with the same channels sliced out (checked in
// tests/it/numeric.rs, `group_norm_prunes_like_pytorch_slicing`).
// RUN: %mcprune-opt '--component-prune=ratio=0.5 round-to=1' %s 2>%t.err | FileCheck %s --implicit-check-not='tensor<16x3x3x3xf32>' --implicit-check-not='tensor<1x16xi64>'
// RUN: FileCheck %s --check-prefix=SUMMARY < %t.err
// RUN: %mcprune-opt '--component-prune=ratio=0.5 round-to=1' %s | %mlir-opt --verify-each -o /dev/null

// CHECK-LABEL: func.func @main
// CHECK-DAG:   arith.constant 1.280000e+02 : f64
// CHECK-DAG:   arith.constant dense<{{\[\[}}0, 0, 1, 1, 2, 2, 3, 3]]> : tensor<1x8xi64>
// CHECK-DAG:   arith.constant dense<{{\[\[}}0, 1, 0, 1, 0, 1, 0, 1]]> : tensor<1x8xi64>
// CHECK:       linalg.conv_2d_nchw_fchw {{.*}} tensor<8x3x3x3xf32>) outs({{.*}} : tensor<1x8x8x8xf32>)
// CHECK:       tensor.expand_shape {{.*}} output_shape [1, 4, 2, 64] : tensor<1x8x64xf32> into tensor<1x4x2x64xf32>
// CHECK:       linalg.conv_2d_nchw_fchw {{.*}} tensor<8x8x1x1xf32>)

// SUMMARY: component-prune: 616 -> 328 parameters (46.8% removed, target 50.0%), 1 of 2 groups pruned

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
#map3 = affine_map<(d0, d1) -> (0, d1)>
#map4 = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @main(%arg0: tensor<1x3x8x8xf32>) -> tensor<1x8x8x8xf32> {
    %c1_i64 = arith.constant 1 : i64
    %c0_i64 = arith.constant 0 : i64
    %cst = arith.constant 0.000000e+00 : f32
    %c4_i64 = arith.constant 4 : i64
    %cst_0 = arith.constant 0.000000e+00 : f64
    %cst_1 = arith.constant dense_resource<torch_tensor_8_torch.float32> : tensor<8xf32>
    %cst_2 = arith.constant dense_resource<torch_tensor_8_16_1_1_torch.float32> : tensor<8x16x1x1xf32>
    %cst_3 = arith.constant dense_resource<torch_tensor_16_torch.float32_2> : tensor<16xf32>
    %cst_4 = arith.constant dense_resource<torch_tensor_16_torch.float32_1> : tensor<16xf32>
    %cst_5 = arith.constant 1.000000e-05 : f64
    %cst_6 = arith.constant dense_resource<torch_tensor_16_3_3_3_torch.float32> : tensor<16x3x3x3xf32>
    %cst_7 = arith.constant dense_resource<torch_tensor_16_torch.float32> : tensor<16xf32>
    %cst_8 = arith.constant 2.560000e+02 : f64
    %cst_9 = arith.constant 2.560000e+02 : f32
    %cst_10 = arith.constant dense_resource<torch_tensor_1_16_torch.int64> : tensor<1x16xi64>
    %cst_11 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_1> : tensor<1x16xi64>
    %cst_12 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_2> : tensor<1x16xi64>
    %cst_13 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_3> : tensor<1x16xi64>
    %cst_14 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_4> : tensor<1x16xi64>
    %cst_15 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_5> : tensor<1x16xi64>
    %cst_16 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_6> : tensor<1x16xi64>
    %cst_17 = arith.constant dense_resource<torch_tensor_1_16_torch.int64_7> : tensor<1x16xi64>
    %padded = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
    ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
      tensor.yield %cst : f32
    } : tensor<1x3x8x8xf32> to tensor<1x3x10x10xf32>
    %0 = tensor.empty() : tensor<1x16x8x8xf32>
    %broadcasted = linalg.broadcast ins(%cst_7 : tensor<16xf32>) outs(%0 : tensor<1x16x8x8xf32>) dimensions = [0, 2, 3] 
    %1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %cst_6 : tensor<1x3x10x10xf32>, tensor<16x3x3x3xf32>) outs(%broadcasted : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
    %collapsed = tensor.collapse_shape %1 [[0], [1], [2, 3]] : tensor<1x16x8x8xf32> into tensor<1x16x64xf32>
    %expanded = tensor.expand_shape %collapsed [[0], [1, 2], [3]] output_shape [1, 4, 4, 64] : tensor<1x16x64xf32> into tensor<1x4x4x64xf32>
    %2 = tensor.empty() : tensor<1x4x4x64xf64>
    %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded : tensor<1x4x4x64xf32>) outs(%2 : tensor<1x4x4x64xf64>) {
    ^bb0(%in: f32, %out: f64):
      %32 = arith.extf %in : f32 to f64
      linalg.yield %32 : f64
    } -> tensor<1x4x4x64xf64>
    %4 = tensor.empty() : tensor<1x4x1x1xf64>
    %5 = linalg.fill ins(%cst_0 : f64) outs(%4 : tensor<1x4x1x1xf64>) -> tensor<1x4x1x1xf64>
    %6 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%3 : tensor<1x4x4x64xf64>) outs(%5 : tensor<1x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %32 = arith.addf %in, %out : f64
      linalg.yield %32 : f64
    } -> tensor<1x4x1x1xf64>
    %7 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6 : tensor<1x4x1x1xf64>) outs(%4 : tensor<1x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %32 = arith.divf %in, %cst_8 : f64
      linalg.yield %32 : f64
    } -> tensor<1x4x1x1xf64>
    %8 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%3, %7 : tensor<1x4x4x64xf64>, tensor<1x4x1x1xf64>) outs(%2 : tensor<1x4x4x64xf64>) {
    ^bb0(%in: f64, %in_23: f64, %out: f64):
      %32 = arith.subf %in, %in_23 : f64
      linalg.yield %32 : f64
    } -> tensor<1x4x4x64xf64>
    %9 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%8, %8 : tensor<1x4x4x64xf64>, tensor<1x4x4x64xf64>) outs(%2 : tensor<1x4x4x64xf64>) {
    ^bb0(%in: f64, %in_23: f64, %out: f64):
      %32 = arith.mulf %in, %in_23 : f64
      linalg.yield %32 : f64
    } -> tensor<1x4x4x64xf64>
    %10 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%9 : tensor<1x4x4x64xf64>) outs(%5 : tensor<1x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %32 = arith.addf %in, %out : f64
      linalg.yield %32 : f64
    } -> tensor<1x4x1x1xf64>
    %11 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%10 : tensor<1x4x1x1xf64>) outs(%4 : tensor<1x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %32 = arith.divf %in, %cst_8 : f64
      linalg.yield %32 : f64
    } -> tensor<1x4x1x1xf64>
    %12 = tensor.empty() : tensor<1x4x1x1xf32>
    %13 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11 : tensor<1x4x1x1xf64>) outs(%12 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f64, %out: f32):
      %32 = arith.truncf %in : f64 to f32
      linalg.yield %32 : f32
    } -> tensor<1x4x1x1xf32>
    %14 = linalg.fill ins(%cst : f32) outs(%12 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
    %15 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%expanded : tensor<1x4x4x64xf32>) outs(%14 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %32 = arith.addf %in, %out : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x1x1xf32>
    %16 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%15 : tensor<1x4x1x1xf32>) outs(%12 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %32 = arith.divf %in, %cst_9 : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x1x1xf32>
    %17 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%13 : tensor<1x4x1x1xf32>) outs(%12 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %32 = arith.truncf %cst_5 : f64 to f32
      %33 = arith.addf %in, %32 : f32
      linalg.yield %33 : f32
    } -> tensor<1x4x1x1xf32>
    %18 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%17 : tensor<1x4x1x1xf32>) outs(%12 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %32 = math.rsqrt %in : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x1x1xf32>
    %expanded_18 = tensor.expand_shape %cst_4 [[0, 1, 2, 3]] output_shape [1, 4, 4, 1] : tensor<16xf32> into tensor<1x4x4x1xf32>
    %19 = tensor.empty() : tensor<1x4x4x1xf32>
    %20 = linalg.generic {indexing_maps = [#map2, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%18, %expanded_18 : tensor<1x4x1x1xf32>, tensor<1x4x4x1xf32>) outs(%19 : tensor<1x4x4x1xf32>) {
    ^bb0(%in: f32, %in_23: f32, %out: f32):
      %32 = arith.mulf %in, %in_23 : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x4x1xf32>
    %21 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%16 : tensor<1x4x1x1xf32>) outs(%12 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %32 = arith.negf %in : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x1x1xf32>
    %22 = linalg.generic {indexing_maps = [#map2, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%21, %20 : tensor<1x4x1x1xf32>, tensor<1x4x4x1xf32>) outs(%19 : tensor<1x4x4x1xf32>) {
    ^bb0(%in: f32, %in_23: f32, %out: f32):
      %32 = arith.mulf %in, %in_23 : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x4x1xf32>
    %expanded_19 = tensor.expand_shape %cst_3 [[0, 1, 2, 3]] output_shape [1, 4, 4, 1] : tensor<16xf32> into tensor<1x4x4x1xf32>
    %23 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%22, %expanded_19 : tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>) outs(%19 : tensor<1x4x4x1xf32>) {
    ^bb0(%in: f32, %in_23: f32, %out: f32):
      %32 = arith.addf %in, %in_23 : f32
      linalg.yield %32 : f32
    } -> tensor<1x4x4x1xf32>
    %24 = tensor.empty() : tensor<1x16xf32>
    %25 = linalg.generic {indexing_maps = [#map3, #map3, #map3, #map3, #map4], iterator_types = ["parallel", "parallel"]} ins(%cst_10, %cst_11, %cst_12, %cst_13 : tensor<1x16xi64>, tensor<1x16xi64>, tensor<1x16xi64>, tensor<1x16xi64>) outs(%24 : tensor<1x16xf32>) {
    ^bb0(%in: i64, %in_23: i64, %in_24: i64, %in_25: i64, %out: f32):
      %32 = arith.cmpi slt, %in, %c0_i64 : i64
      %33 = arith.addi %in, %c1_i64 : i64
      %34 = arith.select %32, %33, %in : i64
      %35 = arith.index_cast %34 : i64 to index
      %36 = arith.cmpi slt, %in_23, %c0_i64 : i64
      %37 = arith.addi %in_23, %c4_i64 : i64
      %38 = arith.select %36, %37, %in_23 : i64
      %39 = arith.index_cast %38 : i64 to index
      %40 = arith.cmpi slt, %in_24, %c0_i64 : i64
      %41 = arith.addi %in_24, %c4_i64 : i64
      %42 = arith.select %40, %41, %in_24 : i64
      %43 = arith.index_cast %42 : i64 to index
      %44 = arith.cmpi slt, %in_25, %c0_i64 : i64
      %45 = arith.addi %in_25, %c1_i64 : i64
      %46 = arith.select %44, %45, %in_25 : i64
      %47 = arith.index_cast %46 : i64 to index
      %extracted = tensor.extract %20[%35, %39, %43, %47] : tensor<1x4x4x1xf32>
      linalg.yield %extracted : f32
    } -> tensor<1x16xf32>
    %26 = linalg.generic {indexing_maps = [#map3, #map3, #map3, #map3, #map4], iterator_types = ["parallel", "parallel"]} ins(%cst_14, %cst_15, %cst_16, %cst_17 : tensor<1x16xi64>, tensor<1x16xi64>, tensor<1x16xi64>, tensor<1x16xi64>) outs(%24 : tensor<1x16xf32>) {
    ^bb0(%in: i64, %in_23: i64, %in_24: i64, %in_25: i64, %out: f32):
      %32 = arith.cmpi slt, %in, %c0_i64 : i64
      %33 = arith.addi %in, %c1_i64 : i64
      %34 = arith.select %32, %33, %in : i64
      %35 = arith.index_cast %34 : i64 to index
      %36 = arith.cmpi slt, %in_23, %c0_i64 : i64
      %37 = arith.addi %in_23, %c4_i64 : i64
      %38 = arith.select %36, %37, %in_23 : i64
      %39 = arith.index_cast %38 : i64 to index
      %40 = arith.cmpi slt, %in_24, %c0_i64 : i64
      %41 = arith.addi %in_24, %c4_i64 : i64
      %42 = arith.select %40, %41, %in_24 : i64
      %43 = arith.index_cast %42 : i64 to index
      %44 = arith.cmpi slt, %in_25, %c0_i64 : i64
      %45 = arith.addi %in_25, %c1_i64 : i64
      %46 = arith.select %44, %45, %in_25 : i64
      %47 = arith.index_cast %46 : i64 to index
      %extracted = tensor.extract %23[%35, %39, %43, %47] : tensor<1x4x4x1xf32>
      linalg.yield %extracted : f32
    } -> tensor<1x16xf32>
    %expanded_20 = tensor.expand_shape %25 [[0], [1, 2, 3]] output_shape [1, 16, 1, 1] : tensor<1x16xf32> into tensor<1x16x1x1xf32>
    %expanded_21 = tensor.expand_shape %26 [[0], [1, 2, 3]] output_shape [1, 16, 1, 1] : tensor<1x16xf32> into tensor<1x16x1x1xf32>
    %27 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1, %expanded_20 : tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) outs(%0 : tensor<1x16x8x8xf32>) {
    ^bb0(%in: f32, %in_23: f32, %out: f32):
      %32 = arith.mulf %in, %in_23 : f32
      linalg.yield %32 : f32
    } -> tensor<1x16x8x8xf32>
    %28 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%27, %expanded_21 : tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) outs(%0 : tensor<1x16x8x8xf32>) {
    ^bb0(%in: f32, %in_23: f32, %out: f32):
      %32 = arith.addf %in, %in_23 : f32
      linalg.yield %32 : f32
    } -> tensor<1x16x8x8xf32>
    %29 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%28 : tensor<1x16x8x8xf32>) outs(%0 : tensor<1x16x8x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %32 = arith.cmpf ugt, %in, %cst : f32
      %33 = arith.select %32, %in, %cst : f32
      linalg.yield %33 : f32
    } -> tensor<1x16x8x8xf32>
    %30 = tensor.empty() : tensor<1x8x8x8xf32>
    %broadcasted_22 = linalg.broadcast ins(%cst_1 : tensor<8xf32>) outs(%30 : tensor<1x8x8x8xf32>) dimensions = [0, 2, 3] 
    %31 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%29, %cst_2 : tensor<1x16x8x8xf32>, tensor<8x16x1x1xf32>) outs(%broadcasted_22 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    return %31 : tensor<1x8x8x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      torch_tensor_8_torch.float32: "0x040000005CD6ABBD1E686DBE24E2D13D6C35793E00C291BD5AF953BE103568BE904E803D",
      torch_tensor_8_16_1_1_torch.float32: "0x0400000020CA3A3C10D766BEE84E543E6ED7093E80767E3E9655013E48FA28BE48A7553E20235C3C80CCF23DAC444DBEC84393BD545C7BBE906BC7BDA0E85C3D5C0049BE1035A33D2C6C093E18A70E3D0C492BBE5A7B46BEE4F59DBD20BFE03D7A847C3E1A35133EB09FE6BC0084B33DF0267BBE62A65ABE3CE7EE3D960011BE2C52F63DF8B734BE6499FDBD48DD52BE5A97053E60AED0BC9404453E686E1E3EDCA70D3E20B6033C944C9EBD68A65EBD1817083DA4CDFD3DDC5933BEEADA563EE0ADDEBC9A8356BEC4820ABE6A83623E741E6A3EAA206DBE6E8E343EF84B003EF887173E24B6583EA6F809BE5CADA13D0487D13DE84A97BDA857AB3D2C4F93BD60461E3E880E8EBD14DFBEBD40E5803D689AB53D1026FABD300AB53C745C143EF0C4CBBCA8D19B3DB8F976BDB074B33DE67139BE0E8916BE74F101BE4C446B3E64C589BD00F032BACC0FF8BDF08F7F3E0E077A3E601241BE10884FBED40B42BE00089EBAC48282BD4E9027BEE0A3B7BD1877413DF4C105BE88E6623DC8D16ABDB018F8BDC8AE0C3D847F523E88132DBE00323E3C20CFBCBDE4367B3E26E272BED26A75BE30427C3EF8F721BE2053443D40C1B0BC78B657BD48B564BD3CAC223EC0C6433CCE3E79BED82117BE7C8AAEBDCAD2003E8EAA25BE2E63713E281364BD18DF37BD4297483EE6AA003E6A1E593EEE14143E34519BBD54D929BEA06098BC0EE0533E",
      torch_tensor_16_torch.float32_2: "0x0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      torch_tensor_16_torch.float32_1: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F",
      torch_tensor_16_3_3_3_torch.float32: "0x040000008BDABCBAC56ED33D543222BEDB0711BECCCD97BDC461533D56E479BBFC401C3ED7E88BBC6E96503D293A6EBD9CF21ABDFC443CBEE48302BE0379A2BDB69AE93B09D19B3DDD7DEC3DE29905BEE2A1ABBD58288F3DC5A4233E2D3A22BD0E78133E221DFEBC43D2A63CF270323EA2D036BEEC1FF8BD619047BD88A299BD87442A3EDB78FFBD416FB5BD28AE09BE299138BEFD12E6BD6966293E1CDFAF3D1C07BF3D9AD3253C6511CABD395D053D8F0038BE34650EBE9A30CBBD2EADF83D6317E73D54CCAEBDFC8AE3BB3613FC3DA8E9433E206D9C3D15FBD43CCB21043EBA11E8BDF4E3123DE2C918BEF29508BEE89ACBBD3456B23DB1819E3DF077E9BDC6246E3DE15ED83DF6FCC6BCD7C7F03BADA5363D8C83F43D72393D3EAEDD17BE887090BD6AE69A3D0448233EA57D2B3E94E22D3ED9E01C3D215E2BBEE807913C2093F6BDC0A837BE1F182F3EE0D7153EEC9444BE0C8B133DFCCA04BD34B801BD566BB4BD7091973DFF72E9BDCD7C903D9451C73D76130D3E5D5F933DC90B43BE0CADFFBD86CCC43DB5FC243DF5BA19BEC5F3E2BD7664393EDEC9043E9FDAABBDA06546BD3ABA3BBE7BB262BB8C6714BEAA0218BE15BC2DBC1BB6EC3C4F69A1BD5EDFE93D27D9EFBD7ED0323E210D073E512F26BE7F3044BDB8460E3C4105E63C6CF53A3DBAAB9A3D11DF3C3CA84FC0BD6D80BA3DC2093DBEAC9BE9BD335445BD62FDBFBDEFE189BD9E8521BE9CAD27BDBD7F283D366200BEB1D021BC6A120D3EE211A2BC6E43AF3BE10188BC44881F3DBD9BFA3D3AAC3A3EAE4CFA3D91193B3E9E0964BCFE0731BE0CDABABD6C2F063EF984A3BA9EE7C3BD260417BE656D38BEE85326BE29E41FBDC425D83D4B16D53D3D0F3EBE28DBF53D51351ABE4AA626BDE5CF9FBD7BD517BDACC51ABDFBD630BE21282ABEAAB2F6BC201B233B020CB3BDAD78943D9E5F31BE4FCB54BC644E2D3E01C4A0BD2EF4313E0DBD8E3DD4D831BEB45EF93DE0ECB5BC20F2AFBD38961D3E1C401FBEF52BA93C4D0A25BDB9BA0C3EF60A5C3DA462BD3D7B318B3D728F3DBD56C725BD9C6622BEAE8FD53DE8771C3EE5D6063E14020BBEC6A00C3CACEB0ABE74F7D8BD90AAE5BDD3B1863D35DFEABD729589BB25A5043CFF11FE3DE4F714BE4B4A07BE54DCE4BD63EF093EC2AD8DBDB339263EF0858E3DE4A1C73C2FC6BBBAD9D31BBDDACDC53CA0FF33BD933DB1BA2E28C93CF7251ABE7B94CEBDB7211F3E3CEE1FBE8B6962BCBCF2423E8E608E3D3E8CB23B28C82ABE453FC33D4E5E0CBE65C35FBD5B3D84BDA377E9BC49F5093B3D8B223E97D0C43C6183303E5819F13DEE2DF9BDBDC5B03DA64E0BBEA60BA7BD88D9673D2424823DBCD8133E27C27DBD9986A13953E9CA3D73953EBE1C7A0E3EEFF522BE9FD42D3B230506BDEB94CFBDD85FD03CC0F5223EA86D66BD4DFFE9BD78C491BD135343BE53E9B13D424ABDBD138303BE3710E3BDA69CE23D99B9D03D3341173E80F68E3D4AA083BD3B485CBD55E1683D5AFF213E7353563D067CBABD7846B9BD92523ABE2C4E2A3DE82EDDBDADB32FBE19CE2C3E1EF5FFBDD459B3BCFBD5613DB6E7C83BA39A04BE894B1FBE85141D3E9D5C003D427E233E892184BDDB30683D864234BDD9380CBC1E0CF0BD3A4C853DD339793D871682BBED4831BD52F5F2BD2F48083EEDB312BEF376A13DBC8784BDAC28BEBD1D9C0D3DD5BCCCBD5D9F353D5FCD1A3D535212BE2A3F033DF2DFA73D0F039C3D4674C6BCFD8D21BE2208F3BC18E3883DD6CF8FBD759B953D923D033EB7CCCDBD46C3F83AC0F9A23D2422773C12B1833C51DBC43CDEEC1ABEFACB773CDA76083EDC94313EA4A7E73D3D43D33C6511B83D71BDBFBD074F23BEB57629BE0C99443EC931FA3D7E3808BE19349A3DEED1143E35FE443EE8502C3E0CAE183E2FB834BDC2518ABD9ECD213EE6DDDC3D102FEDBD182B313E5A6EBE3DC7DBD63D4709F7BDF727623D7F2B8ABD28FB193EBFD70DBD5971993DD4030C3D6FB1A73D5AF085BD992BC03D9BA509BE3609323DD05505BE766A42BEDF411EBE7B941B3E1B3ED53DA5E4383E46E01D3ED1FD2FBE677C06BE43BEFEBC3FF7FFBD0DD8083E52FC14BEE74CC0BDF6623EBE1DC5DFBDB015223E255A213EC1110D3E8A29183E233B2F3E23D949BDE46BAD3D1E932F3E6063823D4F01453EB66CCC3DDD03F53DF4F189BD401EBD3DF327B53CFE403CBDEA2DDEBD4128DDBD07A417BE5F4C043E381A0C3E786EB3BCFF14E4BDCD50183EF80BFC3DFE616A3C1C16BABDA11D353ED12DA13D9C9A15BE7C9C3C3E22A6153EDDA88FBDFC90DD3DDCF1DFBD7211F7BCD954273E9048023CE65E0BBEDCBB83BD3DF955BDC01418BD7EE0963C5141363E75D1283C3F5BF3BD279C213CE8FBBC3D1982C33DDE1B34BE530E0DBD5F7312BE442CA8BD57018E3DD0F10BBEF982923D",
      torch_tensor_16_torch.float32: "0x040000008C44273E8ACE4E3C105803BEB1368DBD90212C3DAB3A16BECDCFC33DB1E932BEE6703DBEED7B3FBE87E91FBDFF83043E85853ABE17CD233E04AA9DBD97DF663D",
      torch_tensor_1_16_torch.int64: "0x080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      torch_tensor_1_16_torch.int64_1: "0x080000000000000000000000000000000000000000000000000000000000000000000000010000000000000001000000000000000100000000000000010000000000000002000000000000000200000000000000020000000000000002000000000000000300000000000000030000000000000003000000000000000300000000000000",
      torch_tensor_1_16_torch.int64_2: "0x080000000000000000000000010000000000000002000000000000000300000000000000000000000000000001000000000000000200000000000000030000000000000000000000000000000100000000000000020000000000000003000000000000000000000000000000010000000000000002000000000000000300000000000000",
      torch_tensor_1_16_torch.int64_3: "0x080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      torch_tensor_1_16_torch.int64_4: "0x080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      torch_tensor_1_16_torch.int64_5: "0x080000000000000000000000000000000000000000000000000000000000000000000000010000000000000001000000000000000100000000000000010000000000000002000000000000000200000000000000020000000000000002000000000000000300000000000000030000000000000003000000000000000300000000000000",
      torch_tensor_1_16_torch.int64_6: "0x080000000000000000000000010000000000000002000000000000000300000000000000000000000000000001000000000000000200000000000000030000000000000000000000000000000100000000000000020000000000000003000000000000000000000000000000010000000000000002000000000000000300000000000000",
      torch_tensor_1_16_torch.int64_7: "0x080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
