import Foundation
import UMedData

/// The smallest dataset tree of each `umed mau import` source, in its published layout
/// (FORMATS.md), with one or two boxed images and a normal one where the source has them.
enum SourceTrees {
    /// Writes `source`'s tree under `root`.
    static func write(_ source: String, to root: URL) throws {
        func file(_ path: String, _ text: String) throws { try write(Data(text.utf8), path, root) }
        func png(_ path: String, _ width: Int, _ height: Int) throws {
            try write(try Image(width: width, height: height, channels: 1, fill: [60]).pngData(), path, root)
        }
        switch source {
        case "nih":
            try file("BBox_List_2017.csv", """
                Image Index,Finding Label,Bbox [x,y,w,h],,,
                00013118_008.png,Nodule,100,100,40,42.5,,,
                00014716_007.png,Effusion,300,500,200,100,,,

                """)
            try file("Data_Entry_2017.csv", """
                Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],
                00013118_008.png,Nodule,8,13118,58,M,PA,1024,1024,0.143,0.143
                00014716_007.png,Effusion,7,14716,40,F,AP,1024,1024,0.168,0.168
                00020000_000.png,No Finding,0,20000,33,F,PA,1024,1024,0.168,0.168

                """)
            try png("images_001/images/00013118_008.png", 1024, 1024)
            try png("images_002/images/00014716_007.png", 1024, 1024)
            try png("images_002/images/00020000_000.png", 1024, 1024)
        case "deeplesion":
            try file("DL_info.csv", """
                File_name,Patient_index,Study_index,Series_ID,Key_slice_index,Measurement_coordinates,Bounding_boxes,Lesion_diameters_Pixel_,Normalized_lesion_location,Coarse_lesion_type,Possibly_noisy,Slice_range,Spacing_mm_px_,Image_size,DICOM_windows,Patient_gender,Patient_age,Train_Val_Test
                000001_01_01_109.png,1,1,1,109,"1, 2, 3, 4","226.1, 90.0, 241.4, 112.0","11.9, 5.0","0.4, 0.2, 0.4",4,0,"103, 115","0.48, 0.48, 5","512, 512","-175, 275",F,62,1
                000002_02_01_077.png,2,2,1,77,"1, 2, 3, 4","100, 100, 150, 140","11, 5","0.5, 0.5, 0.5",5,0,"70, 80","0.7, 0.7, 5","512, 512","-1350, 150",M,51,3

                """)
            let slice = try Image16(width: 512, height: 512, channels: 1, samples: Array(repeating: 32768 - 900, count: 512 * 512)).pngData()
            try write(slice, "Images_png/000001_01_01/109.png", root)
            try write(slice, "Images_png/000002_02_01/077.png", root)
        case "kvasir-seg":
            try file("kavsir_bboxes.json", """
                {"cju0qkwl35piu0993l0dewei2": {"height": 60, "width": 80, "bbox": [{"label": "polyp", "xmin": 10, "ymin": 5, "xmax": 40, "ymax": 30}]}}
                """)
            // The importer takes sizes from the JSON; the image only has to exist.
            try write(Data([0xFF, 0xD8, 0xFF, 0xD9]), "images/cju0qkwl35piu0993l0dewei2.jpg", root)
        case "tbx11k":
            try file("annotations/json/TBX11K_train_only_tb.json", """
                {"images": [{"id": 1, "file_name": "tb/tb0001.png", "width": 512, "height": 512}],
                 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [100, 120, 60, 80], "area": 4800, "iscrowd": 0}],
                 "categories": [{"id": 1, "name": "ActiveTuberculosis"}]}
                """)
            try file("annotations/json/TBX11K_val_only_tb.json", """
                {"images": [{"id": 2, "file_name": "tb/tb0002.png", "width": 512, "height": 512}],
                 "annotations": [{"id": 2, "image_id": 2, "category_id": 1, "bbox": [300, 300, 40, 40], "area": 1600, "iscrowd": 0}],
                 "categories": [{"id": 1, "name": "ActiveTuberculosis"}]}
                """)
            try png("imgs/tb/tb0001.png", 512, 512)
            try png("imgs/tb/tb0002.png", 512, 512)
        case "kidney-stone":
            try file("data.yaml", "train: ../train/images\nval: ../valid/images\n\nnc: 1\nnames: ['Tas_Var']\n")
            try png("train/images/1-3-46-700_jpg.rf.abc.png", 64, 48)
            try file("train/labels/1-3-46-700_jpg.rf.abc.txt", "0 0.5 0.25 0.1 0.2\n")
            try png("valid/images/normal_1.png", 64, 48)
            try file("valid/labels/normal_1.txt", "")
        case "coco":
            try file("annotations.json", """
                {"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 10}, {"id": 2, "file_name": "b.png", "width": 20, "height": 10}],
                 "annotations": [{"image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4]}], "categories": [{"id": 7, "name": "cyst"}]}
                """)
            try png("images/a.png", 20, 10)
            try png("images/b.png", 20, 10)
        case "yolo":
            try file("data.yaml", "names:\n  0: nodule\n  1: mass\n")
            try png("images/p1.png", 50, 40)
            try file("labels/p1.txt", "1 0.5 0.5 0.2 0.5\n")
        case "voc":
            try file("Annotations/scan1.xml", """
                <annotation><filename>scan1.png</filename><size><width>100</width><height>80</height><depth>1</depth></size>
                  <object><name>nodule</name><bndbox><xmin>11</xmin><ymin>21</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
                </annotation>
                """)
            try png("JPEGImages/scan1.png", 100, 80)
        default:
            throw CommandWalk.Failure(description: "no tree for source \(source)")
        }
    }

    private static func write(_ data: Data, _ path: String, _ root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }
}
