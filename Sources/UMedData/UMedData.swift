// UMedData: records and importers, boxes and the one grounded-text grammar, image codecs and
// drawing, phantoms, the MAU builder with its vision-API client (DESIGN.md). No tensors.
