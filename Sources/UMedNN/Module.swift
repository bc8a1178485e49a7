import UMedTensor
