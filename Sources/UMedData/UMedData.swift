// UMedData: tokenizers, chat formats, imaging (decode, preprocess, draw), boxes, records and
// importers, the MAU builder, phantoms, collation (DESIGN.md).
import UMedTensor
