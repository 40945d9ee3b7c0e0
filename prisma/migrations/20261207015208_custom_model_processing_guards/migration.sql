-- Hand-written: the processing menu shares one enum for both ends; a listing's preprocessing
-- is one of raw, image and text, its postprocessing one of raw, softmax and labels. (A
-- migration of its own: new enum values cannot be used in the transaction that adds them.)
ALTER TABLE "custom_models" ADD CONSTRAINT "custom_models_processing" CHECK (
  "preprocessing" IN ('raw', 'image', 'text') AND "postprocessing" IN ('raw', 'softmax', 'labels')
);
