"""Fresh mutants (written without reading the checks: README.md here) for two_layer_net, written from the reference solutions and the release notebook only."""
from autograder.catalogue import Mutant

FRESH = [
    Mutant(name="tln_reg_without_half", cell="two_layer_net",
           edits=[("loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
                   "loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))")],
           catches=[],
           why="The L2 term of the loss drops the 0.5 while the gradient keeps reg * W, so loss and gradient disagree "
               "whenever reg > 0; a student copies the penalty from a formula written without the half."),
    Mutant(name="tln_relu_mask_strict", cell="two_layer_net",
           edits=[("dh[h <= 0] = 0", "dh[h < 0] = 0")],
           catches=[],
           why="h is already max(0, .) so it is never negative and the mask does nothing: gradient flows through dead "
               "ReLU units; a student 'fixes' <= into < thinking zero is a boundary case."),
    Mutant(name="tln_val_history_on_train", cell="two_layer_net",
           edits=[("val_acc_history.append(np.mean(self.predict(X_val) == y_val))",
                   "val_acc_history.append(np.mean(self.predict(X) == y))")],
           catches=[],
           why="The validation-accuracy history is measured on the training data, a copy-paste slip that still "
               "returns a well-shaped history of plausible accuracies."),
    Mutant(name="tln_epoch_check_off_by_one", cell="two_layer_net",
           edits=[("if (it + 1) % iterations_per_epoch == 0:", "if it % iterations_per_epoch == 0:")],
           catches=[],
           why="The end-of-epoch bookkeeping fires at iteration 0 (before any epoch is complete) and the learning rate "
               "decays one iteration early, an off-by-one on the 0-based loop counter."),
    Mutant(name="tln_global_rng_batches", cell="two_layer_net",
           edits=[("idx = self.rng.choice(num_train, batch_size, replace=True)",
                   "idx = np.random.choice(num_train, batch_size, replace=True)")],
           catches=[],
           why="Minibatches are drawn from NumPy's global generator instead of the network's own, so seeded training "
               "is not reproducible and the global random state is disturbed; the habitual np.random call."),
    Mutant(name="tln_batches_without_replacement", cell="two_layer_net",
           edits=[("replace=True)", "replace=False)")],
           catches=[],
           why="Sampling without replacement changes the batch sequence for a given seed and raises when batch_size "
               "exceeds the number of training examples; a student thinks 'each example once per batch' is better."),
    Mutant(name="tln_init_no_transpose", cell="two_layer_net",
           edits=[('"W1": std * self.rng.randn(hidden_size, input_size).T.copy()',
                   '"W1": std * self.rng.randn(input_size, hidden_size)')],
           catches=[],
           why="W1 is drawn directly in (in, out) shape: same shape and scale but different values for a given seed, "
               "so the notebook's toy values no longer match; the transpose looks redundant to a student."),
    Mutant(name="affine_backward_dx_not_reshaped", cell="affine_backward",
           edits=[("dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")],
           catches=[],
           why="dx is returned flattened (N, D) instead of in x's original shape, correct only for 2-D inputs; "
               "a student forgets that the forward pass flattened x."),
    Mutant(name="affine_backward_db_mean", cell="affine_backward",
           edits=[("db = dout.sum(axis=0)", "db = dout.mean(axis=0)")],
           catches=[],
           why="The bias gradient averages over the batch instead of summing, a wrong normalisation from thinking the "
               "loss's 1/N must be applied again here."),
    Mutant(name="relu_backward_passes_at_zero", cell="relu",
           edits=[("dx = dout * (x > 0)", "dx = dout * (x >= 0)")],
           catches=[],
           why="The gradient passes where the input is exactly 0, which the forward pass clamped; an easy >= slip that "
               "only shows on inputs with exact zeros."),
    Mutant(name="relu_forward_in_place", cell="relu",
           edits=[("out = np.maximum(0, x)", "out = x\n    out[out < 0] = 0")],
           catches=[],
           why="The forward pass clamps the caller's array in place (out is an alias of x), so the input is mutated; "
               "a student avoids 'an extra copy' without realising assignment does not copy."),
    Mutant(name="softmax_shift_by_global_max", cell="softmax_loss",
           edits=[("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores - scores.max()")],
           catches=[],
           why="Shifting by the global maximum instead of each row's maximum is exact in theory but a row far below the "
               "maximum underflows to exp = 0 and log(0) = -inf; a student misses the axis."),
    Mutant(name="softmax_no_shift", cell="softmax_loss",
           edits=[("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")],
           catches=[],
           why="Without the max shift exp overflows for scores in the thousands and the loss becomes nan; the stability "
               "trick looks optional on small test inputs."),
    Mutant(name="svm_counts_correct_class", cell="svm_loss",
           edits=[("    margins[np.arange(n), y] = 0\n", "")],
           catches=[],
           why="The correct class's own margin (always 1) is not zeroed, adding 1 to the loss per example and a wrong "
               "gradient entry; a student forgets the j != y_i condition of the hinge sum."),
    Mutant(name="svm_dscores_float32", cell="svm_loss",
           edits=[("active = (margins > 0).astype(scores.dtype)", "active = (margins > 0).astype(np.float32)")],
           catches=[],
           why="The gradient comes back as float32 whatever the dtype of the scores, losing precision for float64 "
               "gradient checks; a student picks the 'usual' float dtype."),
    Mutant(name="fcn_last_layer_not_regularised", cell="fully_connected_net",
           edits=[("for i in range(1, L + 1):", "for i in range(1, L):")],
           catches=[],
           why="The L2 penalty and its gradient skip the output layer's weights, an off-by-one in a 1-based range."),
    Mutant(name="fcn_input_not_cast", cell="fully_connected_net",
           edits=[("        X = X.astype(self.dtype)\n", "")],
           catches=[],
           why="The input is not cast to the model's dtype, so a float32 model fed float64 data computes and returns "
               "float64 scores and gradients; the cast looks superfluous."),
    Mutant(name="tune_selects_on_training_accuracy", cell="tune_two_layer_net",
           edits=[("val_acc = float(np.mean(net.predict(X_val) == y_val))",
                   "val_acc = float(np.mean(net.predict(X_train) == y_train))")],
           catches=[],
           why="The 'validation' accuracy used to pick the best configuration is measured on the training set, so the "
               "search rewards overfitting; training data used where validation data is meant."),
    Mutant(name="tune_unseeded_init", cell="tune_two_layer_net",
           edits=[("std=1e-4, seed=seed)", "std=1e-4)")],
           catches=[],
           why="Each network gets a different random initialisation, so configurations differ by more than their "
               "hyper-parameters and results are not reproducible; the seed argument is forgotten."),
    Mutant(name="tune_num_classes_from_train_only", cell="tune_two_layer_net",
           edits=[("int(max(y_train.max(), y_val.max())) + 1", "int(y_train.max()) + 1")],
           catches=[],
           why="The class count comes from the training labels only, one too few when the largest class appears only "
               "in validation (e.g. a small training subset)."),
]
