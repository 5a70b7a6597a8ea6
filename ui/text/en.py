"""The guided tour in English."""

TEXT = {
    "title": "Guided tour: from an MLP to vanishing gradients",
    "intro": "This tour follows the article the lab grew from, step by step. Every figure is computed live by the "
             "same engine as the Explorer; each step has a link that opens the Explorer with the matching settings.",
    "open": "Open in the Explorer",
    "decimal": ".",  # the decimal mark of the numbers the pages format
    "steps": [
        {
            "title": "1. An MLP reads a sequence letter by letter",
            "body": "Feed the letters h, e, l, l one at a time to an ordinary network (an MLP): "
                    "h_t = tanh(W_xh·x_t + b). It has no memory. The two l's are the same input, so they give "
                    "exactly the same hidden state — the network cannot tell the first l from the second.",
            "caption": "Hidden states for 'hell' with W_hh = 0: the columns for the two l's are identical.",
        },
        {
            "title": "2. Sharing weights across time gives a recurrent neuron",
            "body": "Now let each step also see the previous state, with the same weights at every step: "
                    "h_t = tanh(W_hh·h_(t−1) + W_xh·x_t + b). The state carries the past, and the two l's now "
                    "differ: the second one knows it comes after another l.",
            "caption": "The same letters with W_hh drawn at gain 1: the two l columns are no longer equal.",
        },
        {
            "title": "3. Unfolding it in time",
            "body": "Drawn step by step, the recurrent network is a deep feed-forward network with one layer per "
                    "time step — and the same weights W_hh in every layer. Training it is backpropagation through "
                    "this unfolded network: backpropagation through time.",
            "caption": "The network unfolded over the four steps of 'hell'.",
        },
        {
            "title": "4. The example: h, e, l, l → predict the next letter",
            "body": "Each letter is one-hot encoded over the vocabulary {e, h, l, o}. The hidden state is updated "
                    "by h_t = tanh(W_hh·h_(t−1) + b + W_xh·x_t); a readout of h_t would predict e, l, l, o.",
            "caption": "The network's {n} hidden units along the {T} letters it reads.",
        },
        {
            "title": "5. Backpropagation through time is a product of Jacobians",
            "body": "The gradient of the loss at the last step with respect to an early state is "
                    "dL/dh_t = J_(t+1)ᵀ···J_Tᵀ·dL/dh_T, with J_s = diag(tanh'(a_s))·W_hh. One factor per step back: "
                    "the norm of this product decides how much an early step can learn.",
            "caption": "The gradient norm ‖dL/dh_t‖ of the example against the lag T − t (steps back from the loss, "
                       "as in the steps below): from 1 at the loss to {value} at t = 0, {T} steps back. Red, dashed: "
                       "the Pascanu bound {bound}^(T−t), above the measured curve at every step. Yellow, dashed: the "
                       "Lyapunov line, slope λ_max = {lyapunov} per step. Green, wide: the norm of the Jacobian "
                       "product ‖dh_T/dh_t‖₂.",
        },
        {
            "title": "6. Vanishing and exploding",
            "body": "If the factors are smaller than 1, the product shrinks exponentially: the gradient vanishes and "
                    "early steps learn nothing. If they are larger than 1, it grows exponentially and explodes. "
                    "Pascanu, Mikolov & Bengio (2013): γ·σ_max(W_hh) < 1 guarantees vanishing.",
            "caption": "First figure: {first_activation} with gain {first_gain} ({first_regime}). Second: "
                       "{second_activation} with gain {second_gain} ({second_regime}).",
            "regimes": {"vanishing": "vanishing", "stable": "stable", "exploding": "exploding"},
            "activations": {"tanh": "tanh", "linear": "linear", "relu": "relu", "sigmoid": "sigmoid",
                            "leaky_relu": "leaky relu"},
            # under each figure, from its numbers; the bound's sentence only where it says something true
            "figure": {"vanishing": "The gradient shrinks by a factor {rate} per step: after {T} steps it is {size} "
                                    "of its size at the loss.",
                       "exploding": "The gradient grows by a factor {rate} per step: after {T} steps it is {size} "
                                    "times its size at the loss.",
                       "stable": "The gradient changes by a factor {rate} per step: after {T} steps it is {size} "
                                 "times its size at the loss."},
            "bound": {"vanishing": "γ·σ_max = {bound} < 1, so the Pascanu bound guarantees vanishing.",
                      "exploding": "γ·σ_max = {bound} > 1, which exploding requires."},
        },
        {
            "title": "7. The cures",
            "body": "**Orthogonal initialization** keeps every singular value of W_hh at 1, so near the linear "
                    "regime (a small input, the line chart) the gradient changes by less than 1% per step. **Gradient "
                    "clipping** rescales an exploding gradient to a maximum norm before the update (the bars): it "
                    "stops the blow-up but does not "
                    "restore what vanished. **Gated and linear cells** change the recurrence itself: they add a path "
                    "along which the state is copied with a factor near 1 instead of multiplied by W_hh and squashed "
                    "by tanh (below).",
            "caption": "The line: with orthogonal W_hh and an input of scale {scale} the gradient changes by a "
                       "factor {rate} per step; {T} steps back it is still {value} of its size at the loss. The bars: "
                       "the norm of dL/dW_hh in the exploding example, {before} before clipping and 1 after clipping "
                       "to norm 1.",
            "cells_title": "Gated and linear cells: a path the gradient can travel",
            "cells_body": "- **LSTM: the constant error carousel.** The cell state is updated by addition, "
                          "c_t = f_t⊙c_(t−1) + i_t⊙g_t. Along c the gradient is multiplied only by the forget gates, "
                          "dc_T/dc_t = diag(f_(t+1)···f_T) — no W_hh and no tanh' — so where f is near 1 it travels "
                          "back almost unchanged. A forget-gate bias of 1 starts f around σ(1) ≈ 0.73; training can "
                          "open it further.\n"
                          "- **GRU: the update gate copies the state.** h_t = (1 − z_t)⊙n_t + z_t⊙h_(t−1): where z is "
                          "near 1 a unit keeps its old value, and the gradient passes back multiplied by z instead of "
                          "by W_hh. With zero biases z starts around σ(0) = 1/2, so at initialization this path alone "
                          "still halves the gradient at every step: the gate must open (through training or a bias) "
                          "before the memory is long.\n"
                          "- **LRU: a linear diagonal recurrence.** h_t = λ⊙h_(t−1) + γ·B·x_t, with no nonlinearity in "
                          "the loop: every step's Jacobian is the same diagonal matrix diag(λ), so the product over "
                          "T − t steps has norm exactly max|λ|^(T−t). With |λ| < 1 it cannot explode; with |λ| near 1 "
                          "(here 0.99 to 0.999) it fades slowly: a long memory.",
            "networks": {"rnn": "vanilla RNN, tanh", "lstm": "LSTM, forget bias 1", "gru": "GRU",
                         "lru-near-1": "LRU, |λ| in [0.99, 0.999]"},
            "the": {"rnn": "the vanilla RNN", "lstm": "the LSTM", "gru": "the GRU", "lru-near-1": "the LRU"},
            "cells_head": "‖dL/dh_t‖ at t = 0, {T} steps back from the loss:",
            "cells_line": "{name}: {value} (fallen 1000-fold after {k} steps)",
            "cells_line_long": "{name}: {value} (not fallen 1000-fold within the {T} steps)",
            "zero": "exactly 0",
            "cells_best": "Of the four, {best} keeps its gradient longest.",
            "compare": "Open the four side by side in Compare",
        },
    ],
}
