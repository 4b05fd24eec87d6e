// Package classifiers holds the models pypimal trains, behind one small interface,
// and the preprocessing steps that are fitted inside each training fold.
package classifiers

import "gonum.org/v1/gonum/mat"

// Classifier is a binary model. Labels are 0 (benign) and 1 (malicious).
// Fit may be called once; Predict returns P(malicious) per row of x, or for
// models without probabilities (SVM) a monotone score where larger means more
// malicious. Implementations must not keep references to x after Fit returns
// unless documented.
type Classifier interface {
	Fit(x *mat.Dense, y []int) error
	Predict(x *mat.Dense) ([]float64, error)
}

// Factory builds a fresh, unfitted classifier. The seed drives every random
// choice the model makes, so the same seed gives the same model.
type Factory func(seed int64) Classifier
