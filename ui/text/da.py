"""Den guidede tur på dansk."""

TEXT = {
    "title": "Guidet tur: fra en flerlagsperceptron til forsvindende gradienter",
    "intro": "Turen følger artiklen, som laboratoriet udsprang af, trin for trin. Hver figur beregnes live af den "
             "samme motor som Explorer-siden; hvert trin har et link, der åbner Explorer med de tilsvarende "
             "indstillinger.",
    "language": "Sprog",
    "open": "Åbn i Explorer",
    "pages": {"Regime map": "Regimekort", "Compare": "Sammenlign", "Guided tour": "Guidet tur",
              "Your model": "Din model"},
    "presets": {"hello": "Artiklens eksempel: 'hello'", "vanishing": "Forsvindende: tanh, lille gain",
                "exploding-linear": "Eksploderende: lineær, gain over 1", "orthogonal": "Ortogonal redning"},
    "chart": {"time step t": "tidsskridt t", "lag T − t (steps back from the loss)": "afstand T − t (trin tilbage "
              "fra tabet)", "norm (log scale)": "norm (log-skala)", "curve": "kurve", "letter read": "læst bogstav",
              "hidden unit": "skjult enhed", "unit": "enhed", "start": "start",
              "‖dL/dh_t‖ (measured)": "‖dL/dh_t‖ (målt)",
              "‖dh_T/dh_t‖₂ (Jacobian product)": "‖dh_T/dh_t‖₂ (Jacobi-produkt)",
              "(γ·σ_max)^(T−t) (Pascanu bound)": "(γ·σ_max)^(T−t) (Pascanu-grænse)",
              "exp(λ_max·(T−t)) (Lyapunov)": "exp(λ_max·(T−t)) (Lyapunov)",
              "‖dL/dW_hh‖ (log scale)": "‖dL/dW_hh‖ (log-skala)"},
    "decimal": ",",  # decimaltegnet i de tal, siderne formaterer
    "steps": [
        {
            "title": "1. En flerlagsperceptron læser en sekvens bogstav for bogstav",
            "body": "Giv bogstaverne h, e, l, l ét ad gangen til et almindeligt netværk (en flerlagsperceptron, "
                    "MLP): "
                    "h_t = tanh(W_xh·x_t + b). Det har ingen hukommelse. De to l'er er det samme input, så de giver "
                    "nøjagtig den samme skjulte tilstand — netværket kan ikke skelne det første l fra det andet.",
            "caption": "Skjulte tilstande for 'hell' med W_hh = 0: søjlerne for de to l'er er ens.",
        },
        {
            "title": "2. Delte vægte over tid giver en rekurrent neuron",
            "body": "Lad nu hvert trin også se den forrige tilstand, med de samme vægte i hvert trin: "
                    "h_t = tanh(W_hh·h_(t−1) + W_xh·x_t + b). Tilstanden bærer fortiden med sig, og de to l'er "
                    "er nu forskellige: det andet ved, at det kommer efter endnu et l.",
            "caption": "De samme bogstaver med en tilfældig W_hh (gain 1): de to l-søjler er ikke længere ens.",
        },
        {
            "title": "3. Foldet ud i tid",
            "body": "Tegnet trin for trin er det rekurrente netværk et dybt feed-forward-netværk med ét lag pr. "
                    "tidstrin — og de samme vægte W_hh i hvert lag. At træne det er backpropagation gennem dette "
                    "udfoldede netværk: backpropagation through time.",
            "caption": "Netværket foldet ud over de fire trin i 'hell'.",
        },
        {
            "title": "4. Eksemplet: h, e, l, l → forudsig næste bogstav",
            "body": "Hvert bogstav one-hot-kodes over ordforrådet {e, h, l, o}. Den skjulte tilstand opdateres med "
                    "h_t = tanh(W_hh·h_(t−1) + b + W_xh·x_t); en udlæsning af h_t ville forudsige e, l, l, o.",
            "caption": "Netværkets {n} skjulte enheder gennem de {T} bogstaver, det læser.",
        },
        {
            "title": "5. Backpropagation through time er et produkt af Jacobi-matricer",
            "body": "Gradienten af tabet i sidste trin med hensyn til en tidlig tilstand er "
                    "dL/dh_t = J_(t+1)ᵀ···J_Tᵀ·dL/dh_T, med J_s = diag(tanh'(a_s))·W_hh. Én faktor pr. trin "
                    "tilbage: normen af produktet afgør, hvor meget et tidligt trin kan lære.",
            "caption": "Gradientens norm ‖dL/dh_t‖ i eksemplet mod afstanden T − t (trin tilbage fra tabet, som i "
                       "trinene nedenfor): fra 1 ved tabet til {value} ved t = 0, {T} trin tilbage. Rød, stiplet: "
                       "Pascanu-grænsen {bound}^(T−t), over den målte kurve i hvert trin. Gul, stiplet: "
                       "Lyapunov-linjen med hældning λ_max = {lyapunov} pr. trin. Grøn, bred: normen af "
                       "Jacobi-produktet ‖dh_T/dh_t‖₂.",
        },
        {
            "title": "6. Forsvindende og eksploderende gradienter",
            "body": "Er faktorerne mindre end 1, skrumper produktet eksponentielt: gradienten forsvinder, og de "
                    "tidlige trin lærer intet. Er de større end 1, vokser det eksponentielt og eksploderer. "
                    "Pascanu, Mikolov & Bengio (2013): γ·σ_max(W_hh) < 1 garanterer, at gradienten forsvinder.",
            "caption": "Første figur: {first_activation} med gain {first_gain} ({first_regime}). Anden: "
                       "{second_activation} med gain {second_gain} ({second_regime}).",
            "regimes": {"vanishing": "forsvindende", "stable": "stabil", "exploding": "eksploderende"},
            "activations": {"tanh": "tanh", "linear": "lineær", "relu": "relu", "sigmoid": "sigmoid",
                            "leaky_relu": "leaky relu"},
            "figure": {"vanishing": "Gradienten skrumper med en faktor {rate} pr. trin: efter {T} trin er den {size} "
                                    "af sin størrelse ved tabet.",
                       "exploding": "Gradienten vokser med en faktor {rate} pr. trin: efter {T} trin er den {size} "
                                    "gange sin størrelse ved tabet.",
                       "stable": "Gradienten ændrer sig med en faktor {rate} pr. trin: efter {T} trin er den {size} "
                                 "gange sin størrelse ved tabet."},
            "bound": {"vanishing": "γ·σ_max = {bound} < 1, så Pascanu-grænsen garanterer, at gradienten forsvinder.",
                      "exploding": "γ·σ_max = {bound} > 1, hvilket en eksploderende gradient kræver."},
        },
        {
            "title": "7. Løsningerne",
            "body": "**Ortogonal initialisering** holder alle singulærværdier af W_hh på 1, så gradienten ændrer "
                    "sig med under 1 % pr. trin nær det lineære regime (et lille input, linjen). **Gradient clipping** "
                    "skalerer en eksploderende gradient ned til en maksimal norm før opdateringen (søjlerne): det "
                    "stopper eksplosionen, men "
                    "genskaber ikke det, der forsvandt. **Celler med porte og lineære celler** ændrer selve "
                    "rekursionen: de tilføjer en vej, hvor tilstanden kopieres med en faktor nær 1 i stedet for at "
                    "blive ganget med W_hh og klemt af tanh (nedenfor).",
            "caption": "Linjen: med ortogonal W_hh og et input med skala {scale} ændres gradienten med en faktor "
                       "{rate} pr. trin; {T} trin tilbage er den stadig {value} af sin størrelse ved tabet. Søjlerne: "
                       "normen af dL/dW_hh i det eksploderende eksempel, {before} før clipping og 1 efter clipping "
                       "til norm 1.",
            "before": "før clipping",
            "after": "efter clipping til 1",
            "cells_title": "Celler med porte og lineære celler: en vej, gradienten kan rejse ad",
            "cells_body": "- **LSTM: den konstante fejlkarrusel.** Celletilstanden opdateres ved addition, "
                          "c_t = f_t⊙c_(t−1) + i_t⊙g_t. Langs c ganges gradienten kun med glemselsportene (forget "
                          "gates), dc_T/dc_t = diag(f_(t+1)···f_T) — ingen W_hh og ingen tanh' — så hvor f er nær 1, "
                          "løber den næsten uændret tilbage. En bias på 1 i glemselsporten starter f omkring "
                          "σ(1) ≈ 0,73; træningen kan åbne den mere.\n"
                          "- **GRU: opdateringsporten kopierer tilstanden.** h_t = (1 − z_t)⊙n_t + z_t⊙h_(t−1): hvor "
                          "z er nær 1, beholder en enhed sin gamle værdi, og gradienten løber tilbage ganget med z i "
                          "stedet for med W_hh. Med bias 0 starter z omkring σ(0) = 1/2, så ved initialiseringen "
                          "halverer denne vej alene stadig gradienten i hvert trin: porten skal åbnes (af træningen "
                          "eller en bias), før hukommelsen bliver lang.\n"
                          "- **LRU: en lineær, diagonal rekursion.** h_t = λ⊙h_(t−1) + γ·B·x_t, uden ikke-linearitet "
                          "i løkken: hvert trins Jacobi-matrix er den samme diagonalmatrix diag(λ), så produktet over "
                          "T − t trin har normen præcis max|λ|^(T−t). Med |λ| < 1 kan den ikke eksplodere; med |λ| "
                          "nær 1 (her 0,99 til 0,999) aftager den langsomt: en lang hukommelse.",
            "networks": {"rnn": "simpelt RNN, tanh", "lstm": "LSTM, forget-bias 1", "gru": "GRU",
                         "lru-near-1": "LRU, |λ| i [0,99; 0,999]"},
            "the": {"rnn": "det simple RNN", "lstm": "LSTM'en", "gru": "GRU'en", "lru-near-1": "LRU'en"},
            "x_title": "afstand T − t (trin tilbage fra tabet)",
            "y_title": "‖dL/dh_t‖ (logaritmisk skala)",
            "network": "netværk",
            "cells_head": "‖dL/dh_t‖ ved t = 0, {T} trin tilbage fra tabet:",
            "cells_line": "{name}: {value} (faldet med en faktor 1000 efter {k} trin)",
            "cells_line_long": "{name}: {value} (ikke faldet med en faktor 1000 inden for de {T} trin)",
            "zero": "præcis 0",
            "cells_best": "Af de fire holder {best} længst på gradienten.",
            "compare": "Åbn de fire side om side i Compare",
        },
    ],
}
