// The JSON tensor datatypes' value ranges live in packages/por (planted outputs use them too).
export { FP32_MAX, INT_RANGES } from "@proofgrid/por";
