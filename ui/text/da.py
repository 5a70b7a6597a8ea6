"""Den guidede tur på dansk."""

TEXT = {
    "title": "Guidet tur: fra en flerlagsperceptron til forsvindende gradienter",
    "intro": "Turen følger artiklen, som laboratoriet udsprang af, trin for trin. Hver figur beregnes live af den "
             "samme motor som Explorer-siden; hvert trin har et link, der åbner Explorer med de tilsvarende "
             "indstillinger.",
    "open": "Åbn i Explorer",
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
            "cells_head": "‖dL/dh_t‖ ved t = 0, {T} trin tilbage fra tabet:",
            "cells_line": "{name}: {value} (faldet med en faktor 1000 efter {k} trin)",
            "cells_line_long": "{name}: {value} (ikke faldet med en faktor 1000 inden for de {T} trin)",
            "zero": "præcis 0",
            "cells_best": "Af de fire holder {best} længst på gradienten.",
            "compare": "Åbn de fire side om side på siden Sammenlign",
        },
    ],
}


# Every other phrase of the app, keyed by its English text (ui.i18n.tr): the same fields, in Danish word order. The
# symbols stay as they are (W_hh, ‖dL/dh_t‖, tanh, LSTM, GRU, LRU, Lyapunov, Pascanu); numbers get their decimal
# comma from ui.i18n, so a template never writes one itself.
MESSAGES = {
    # the navigation, the sidebar and the pages' own controls
    "Explorer": "Explorer",
    "Regime map": "Regimekort",
    "Compare": "Sammenlign",
    "Guided tour": "Guidet tur",
    "Your model": "Din model",
    "See why the gradients of a recurrent neural network vanish or explode.":
        "Se, hvorfor gradienterne i et rekurrent neuralt netværk forsvinder eller eksploderer.",
    "Preset": "Forudindstilling",
    "Choose a preset…": "Vælg en forudindstilling …",
    "Sets every control at once.": "Sætter alle indstillinger på én gang.",
    "Network": "Netværk",
    "Sequence": "Sekvens",
    "Training signal": "Træningssignal",
    "★ standard for {names}": "★ standard for {names}",
    "★ marks each activation's standard gain: tanh 5/3, relu √2, linear and sigmoid 1.":
        "★ markerer hver aktiverings standard-gain: tanh 5/3, relu √2, lineær og sigmoid 1.",
    "{error}. Showing the last valid settings.": "{error}. Viser de sidste gyldige indstillinger.",
    "{error}. Keeping the previous map settings.": "{error}. Beholder kortets forrige indstillinger.",
    "Map": "Kort",
    "Second axis": "Anden akse",
    "What varies down the map, beside the gain.": "Det, der varierer ned ad kortet, ud over gain.",
    "Colour by": "Farve efter",
    "gradient rate": "gradientens rate",
    "Gain from": "Gain fra",
    "Gain to": "Gain til",
    "Gains": "Antal gains",
    "Seeds per cell": "Seeds pr. celle",
    "Comparison": "Sammenligning",
    "Choose a comparison…": "Vælg en sammenligning …",
    "Sets the variants and the shared settings at once.": "Sætter varianterne og de fælles indstillinger på én gang.",
    "Side by side (2 to 4)": "Side om side (2 til 4)",
    # the Config's fields: labels, help and choices
    "Cell": "Celle",
    "The recurrent update rule: the vanilla RNN, a leaky RNN, an LSTM, a GRU or a linear recurrent unit.":
        "Den rekurrente opdateringsregel: det simple RNN, et leaky RNN, en LSTM, en GRU eller en lineær rekurrent "
        "enhed (LRU).",
    "vanilla RNN": "simpelt RNN",
    "leaky RNN": "leaky RNN",
    "LRU (linear recurrent unit)": "LRU (lineær rekurrent enhed)",
    "Sequence length T": "Sekvenslængde T",
    "Number of time steps the RNN reads.": "Antal tidsskridt, som RNN'et læser.",
    "Hidden size N": "Skjult størrelse N",
    "Number of hidden units (W_hh is N x N).": "Antal skjulte enheder (W_hh er N x N).",
    "Batch B": "Batch B",
    "Number of input sequences run side by side.": "Antal inputsekvenser, der køres side om side.",
    "Activation": "Aktivering",
    "The nonlinearity act in h_t = act(W_hh h_{t-1} + W_xh x_t + b).":
        "Ikke-lineariteten act i h_t = act(W_hh h_{t-1} + W_xh x_t + b).",
    "linear": "lineær",
    "W_hh initializer": "Initialisering af W_hh",
    "How the recurrent matrix is drawn.": "Hvordan den rekurrente matrix trækkes.",
    "orthogonal": "ortogonal",
    "identity": "identitet",
    "uniform": "uniform",
    "normal": "normal",
    "Gain g": "Gain g",
    "Scale of W_hh (for 'spectral_radius' it is the radius itself).":
        "Skalaen af W_hh (for 'spectral_radius' er det selve radius).",
    "Input": "Input",
    "The sequence x_1..x_T fed to the network.": "Sekvensen x_1..x_T, som netværket får.",
    "zeros": "nuller",
    "noise": "støj",
    "impulse": "impuls",
    "sine": "sinus",
    "text": "tekst",
    "Input scale": "Inputskala",
    "Amplitude of the input.": "Inputtets amplitude.",
    "Input size D": "Inputstørrelse D",
    "Input units (for text input: the vocabulary size instead).":
        "Antal inputenheder (ved tekstinput i stedet ordforrådets størrelse).",
    "Text": "Tekst",
    "Characters read one per step, one-hot (input 'text' only).":
        "Tegn, der læses ét pr. trin, one-hot (kun for input 'tekst').",
    "Loss": "Tab",
    "'last': L = u·h_T; 'all': L = sum_t u·h_t (u a fixed random unit readout).":
        "'sidste trin': L = u·h_T; 'hvert trin': L = sum_t u·h_t (u er en fast, tilfældig udlæsning af længde 1).",
    "last step": "sidste trin",
    "every step": "hvert trin",
    "Seed": "Seed",
    "Seeds the weights, the inputs and the readout.": "Seed for vægtene, inputtet og udlæsningen.",
    "Bias scale": "Bias-skala",
    "b ~ N(0, bias_scale^2).": "b ~ N(0, bias_scale^2).",
    "Leak α": "Lækage α",
    "Leaky RNN: h_t = (1 - α) h_{t-1} + α act(W_hh h_{t-1} + W_xh x_t + b); α = 1 is the vanilla RNN.":
        "Leaky RNN: h_t = (1 - α) h_{t-1} + α act(W_hh h_{t-1} + W_xh x_t + b); α = 1 er det simple RNN.",
    "Forget-gate bias": "Bias i glemselsporten",
    "LSTM: the forget gate's bias (1.0 keeps the cell state from the start).":
        "LSTM: glemselsportens bias (1,0 bevarer celletilstanden fra starten).",
    "Forget-gate init": "Initialisering af glemselsporten",
    "LSTM: 'constant' uses the forget-gate bias; 'chrono' draws log U(1, T - 1) per unit (Tallec & Ollivier 2018), "
    "and the input gate's bias is its negative.":
        "LSTM: 'konstant' bruger glemselsportens bias; 'chrono' trækker log U(1, T - 1) pr. enhed (Tallec & Ollivier "
        "2018), og inputportens bias er det negative af den.",
    "constant": "konstant",
    "Ring r_min": "Ring r_min",
    "LRU: the smallest |λ| of the eigenvalue ring.": "LRU: den mindste |λ| i egenværdiringen.",
    "Ring r_max": "Ring r_max",
    "LRU: the largest |λ| of the eigenvalue ring (the memory horizon ~ 1 / (1 - r_max)).":
        "LRU: den største |λ| i egenværdiringen (hukommelseshorisonten ~ 1 / (1 - r_max)).",
    "Max phase": "Største fase",
    "LRU: eigenvalue phases drawn in [0, max_phase] (2π: the whole ring).":
        "LRU: egenværdiernes faser trækkes i [0, max_phase] (2π: hele ringen).",
    # presets, their lines, the Compare page's variants and comparisons
    "Vanishing: tanh, small gain": "Forsvindende: tanh, lille gain",
    "Exploding: linear, gain above 1": "Eksploderende: lineær, gain over 1",
    "Exploding: relu, gain above 1": "Eksploderende: relu, gain over 1",
    "Edge of chaos: tanh, gain 1": "Kanten af kaos: tanh, gain 1",
    "Saturation: tanh, large gain — the states saturate and the gradient dies":
        "Mætning: tanh, stort gain — tilstandene mættes, og gradienten dør",
    "Orthogonal rescue": "Ortogonal redning",
    "IRNN: relu + identity": "IRNN: relu + identitet",
    "The article's example: 'hello'": "Artiklens eksempel: 'hello'",
    "LSTM: forget bias 3 keeps the gradient": "LSTM: bias 3 i glemselsporten bevarer gradienten",
    "LSTM: chrono initialization": "LSTM: chrono-initialisering",
    "GRU: update gates near ½ forget": "GRU: opdateringsporte nær ½ glemmer",
    "Leaky RNN: α = 0.05": "Leaky RNN: α = 0,05",
    "LRU: |λ| near 1, a long memory": "LRU: |λ| nær 1, en lang hukommelse",
    "γ·σ_max < 1: the Pascanu bound forces the gradient to shrink at every step.":
        "γ·σ_max < 1: Pascanu-grænsen tvinger gradienten til at skrumpe i hvert trin.",
    "No nonlinearity to tame it: the gradient grows like g^(T−t).":
        "Ingen ikke-linearitet tæmmer den: gradienten vokser som g^(T−t).",
    "ReLU passes the growth through on its active units.": "ReLU lader væksten passere på sine aktive enheder.",
    "A small input (noise of scale 0.01) keeps the states near 0, where tanh' ≈ 1, and W has spectral radius ≈ 1: "
    "the gradient neither dies nor blows up. With the default input (scale 1) the units leave tanh's linear range "
    "and the same network vanishes.":
        "Et lille input (støj med skala 0,01) holder tilstandene nær 0, hvor tanh' ≈ 1, og W har spektralradius ≈ 1: "
        "gradienten hverken dør eller eksploderer. Med standardinputtet (skala 1) forlader enhederne tanh's lineære "
        "område, og det samme netværk får en forsvindende gradient.",
    "σ_max is large, yet act' ≈ 0 on saturated units: strong inputs push tanh to ±1 and the gradient vanishes.":
        "σ_max er stor, men act' ≈ 0 på mættede enheder: kraftige input skubber tanh ud til ±1, og gradienten "
        "forsvinder.",
    "An orthogonal W keeps every singular value at 1, and a small input (noise of scale 0.01) keeps tanh near its "
    "linear range: the gradient changes by less than 1% per step. With the default input (scale 1) the units "
    "saturate, break that isometry, and the gradient vanishes.":
        "En ortogonal W holder alle singulærværdier på 1, og et lille input (støj med skala 0,01) holder tanh nær sit "
        "lineære område: gradienten ændrer sig med under 1 % pr. trin. Med standardinputtet (skala 1) mættes "
        "enhederne, isometrien brydes, og gradienten forsvinder.",
    "Le et al. 2015: W = I with ReLU copies the state forward, so the gradient survives long sequences.":
        "Le m.fl. 2015: W = I med ReLU kopierer tilstanden videre, så gradienten overlever lange sekvenser.",
    "h, e, l, l in, one-hot: a 4-step RNN like the article's, predicting the next letter.":
        "h, e, l, l ind, one-hot: et RNN med 4 trin som artiklens, der forudsiger det næste bogstav.",
    "Along the cell state the gradient is multiplied only by the forget gates, σ(3) ≈ 0.95 per step at the start: "
    "the carousel (dotted) fades slowly, and the whole gradient stays stable over 200 steps.":
        "Langs celletilstanden ganges gradienten kun med glemselsportene, σ(3) ≈ 0,95 pr. trin fra starten: "
        "karrusellen (prikket) aftager langsomt, og hele gradienten er stabil over 200 trin.",
    "Tallec & Ollivier 2018: forget biases log U(1, T − 1) give each unit its own memory up to T steps.":
        "Tallec & Ollivier 2018: bias i glemselsporten trukket som log U(1, T − 1) giver hver enhed sin egen "
        "hukommelse på op til T trin.",
    "With no bias the update gate z sits near 0.5: copying half the state per step still halves the gradient.":
        "Uden bias ligger opdateringsporten z nær 0,5: at kopiere halvdelen af tilstanden pr. trin halverer stadig "
        "gradienten.",
    "Each step keeps 95% of the state: the Jacobian is close to the identity and the gradient fades slowly.":
        "Hvert trin beholder 95 % af tilstanden: Jacobi-matricen er tæt på identiteten, og gradienten aftager "
        "langsomt.",
    "A linear diagonal recurrence: the gradient is exactly max|λ|^(T−t), never explodes, and |λ| ≈ 0.999 keeps it "
    "for hundreds of steps.":
        "En lineær, diagonal rekursion: gradienten er præcis max|λ|^(T−t), eksploderer aldrig, og |λ| ≈ 0,999 bevarer "
        "den i hundredvis af trin.",
    "**Preset: {name}.** {line}": "**Forudindstilling: {name}.** {line}",
    "vanilla RNN, tanh": "simpelt RNN, tanh",
    "vanilla RNN, relu": "simpelt RNN, relu",
    "vanilla RNN, orthogonal W_hh": "simpelt RNN, ortogonal W_hh",
    "leaky RNN, α = 0.1": "leaky RNN, α = 0,1",
    "LSTM, forget bias 1": "LSTM, forget-bias 1",
    "LSTM, chrono init": "LSTM, chrono-initialisering",
    "LRU, |λ| in [0.5, 0.99]": "LRU, |λ| i [0,5; 0,99]",
    "LRU, |λ| in [0.99, 0.999]": "LRU, |λ| i [0,99; 0,999]",
    "Vanilla tanh vs LSTM vs GRU at T = 200": "Simpelt tanh-RNN mod LSTM mod GRU ved T = 200",
    "Gaussian vs orthogonal W_hh": "Gaussisk mod ortogonal W_hh",
    "tanh vs relu": "tanh mod relu",
    "LRU with |λ| near 1 vs vanilla tanh": "LRU med |λ| nær 1 mod simpelt tanh-RNN",
    "Leaky vs vanilla RNN": "Leaky mod simpelt RNN",
    # the Explorer and the verdict
    "Why do RNN gradients vanish or explode?": "Hvorfor forsvinder eller eksploderer gradienterne i et RNN?",
    "The RNN reads the sequence step by step, h_t = act(W_hh·h_(t−1) + W_xh·x_t + b). Backpropagation multiplies the "
    "gradient by one Jacobian per step back; this page measures what that product does.":
        "RNN'et læser sekvensen trin for trin, h_t = act(W_hh·h_(t−1) + W_xh·x_t + b). Backpropagation ganger "
        "gradienten med én Jacobi-matrix for hvert trin tilbage; denne side måler, hvad det produkt gør.",
    "Download this configuration (JSON)": "Hent denne konfiguration (JSON)",
    "Computed in {ms:.0f} ms. Copy the address bar to share exactly this view.":
        "Beregnet på {ms:.0f} ms. Kopiér adresselinjen for at dele netop denne visning.",
    "Running the RNN and backpropagating through time…": "Kører RNN'et og backpropagation gennem tiden …",
    "Vanishing": "Forsvindende",
    "Stable": "Stabil",
    "Exploding": "Eksploderende",
    "vanishing": "forsvindende",
    "stable": "stabil",
    "exploding": "eksploderende",
    "per-step rate": "rate pr. trin",
    "Factor by which ‖dL/dh_t‖ changes per step back (robust fit of the log norm against the lag).":
        "Faktoren, som ‖dL/dh_t‖ ændrer sig med pr. trin tilbage (robust tilpasning af log-normen mod afstanden).",
    "memory horizon": "hukommelseshorisont",
    "Lag at which the gradient has fallen 1000-fold (none while it grows).":
        "Afstanden, hvor gradienten er faldet med en faktor 1000 (ingen, så længe den vokser).",
    "step bound": "trin-grænse",
    "Below 1 the bound on every step's Jacobian guarantees vanishing.":
        "Under 1 garanterer grænsen for hvert trins Jacobi-matrix, at gradienten forsvinder.",
    "spectral radius ρ": "spektralradius ρ",
    "Largest |eigenvalue| of {M}.": "Største |egenværdi| af {M}.",
    "The cell's own theory, {name}, from t = 0 to the loss.": "Cellens egen teori, {name}, fra t = 0 til tabet.",
    "Largest Lyapunov exponent (natural log per step).": "Største Lyapunov-eksponent (naturlig logaritme pr. trin).",
    "The hidden states overflowed float64 at step {overflow}. Every chart stops at step {loss}, where the loss is "
    "placed.":
        "De skjulte tilstande løb over float64 i trin {overflow}. Alle diagrammer stopper i trin {loss}, hvor tabet "
        "er placeret.",
    "Gradient norm across time": "Gradientens norm gennem tiden",
    "Horizontal axis": "Vandret akse",
    "time step t": "tidsskridt t",
    "lag T − t": "afstand T − t",
    "The math": "Matematikken",
    "(uniformly)": "(jævnt fordelt)",
    "along ": "langs ",
    "The norms are computed in the log domain (mantissa × 10^scale), so values like 1e-3000 are exact and drawn "
    "faithfully.":
        "Normerne beregnes i log-domænet (mantisse × 10^skala), så værdier som 1e-3000 er præcise og tegnes "
        "korrekt.",
    "Download the curves (CSV)": "Hent kurverne (CSV)",
    "Hidden states": "Skjulte tilstande",
    "A unit with |tanh| > 0.97 has tanh' < 0.06: it passes almost none of the gradient back, whatever W_hh is. That "
    "is why a large gain, which saturates the units, can still make the gradient vanish.":
        "En enhed med |tanh| > 0,97 har tanh' < 0,06: den sender næsten intet af gradienten tilbage, uanset W_hh. "
        "Derfor kan et stort gain, der mætter enhederne, stadig få gradienten til at forsvinde.",
    "Download the states shown (CSV)": "Hent de viste tilstande (CSV)",
    "Spectrum": "Spektrum",
    "A gated cell has no single recurrent matrix: each step's Jacobian mixes W_hh with the values of the gates, so a "
    "spectrum would say little. The gates' own theory is the dotted curve in the gradient chart above.":
        "En celle med porte har ingen enkelt rekurrent matrix: hvert trins Jacobi-matrix blander W_hh med portenes "
        "værdier, så et spektrum ville sige lidt. Portenes egen teori er den prikkede kurve i gradientdiagrammet "
        "ovenfor.",
    "Spectrum of {M}": "Spektrum af {M}",
    "In the linear regime (act' ≈ 1) the gradient after many steps grows like ρ(W)^k: eigenvalues outside the unit "
    "circle are directions that explode, inside it directions that vanish. The circular law (Girko) puts the "
    "eigenvalues of a Gaussian W uniformly in the disc of radius g.":
        "I det lineære regime (act' ≈ 1) vokser gradienten efter mange trin som ρ(W)^k: egenværdier uden for "
        "enhedscirklen er retninger, der eksploderer, og inden for den retninger, der forsvinder. Cirkelloven "
        "(Girko) fordeler egenværdierne af en gaussisk W jævnt i cirkelskiven med radius g.",
    "Download the eigenvalues (CSV)": "Hent egenværdierne (CSV)",
    "The curse of memory": "Hukommelsens forbandelse",
    "Per-step contributions to dL/dW_hh": "Bidrag pr. trin til dL/dW_hh",
    "a_t: the step's pre-activations, four gates.": "a_t: trinnets præaktiveringer, fire porte.",
    "a_t: the step's pre-activations, three gates.": "a_t: trinnets præaktiveringer, tre porte.",
    "Download per-step figures (CSV)": "Hent tallene pr. trin (CSV)",
    "Reproduce in code": "Genskab i kode",
    "This view as code: the snippet rebuilds it with rnn_core (seed included) and prints the diagnosis and the "
    "gradient curve; the PyTorch script builds the same weights and inputs, runs torch.autograd and prints the same "
    "numbers (within 1e-10 relative, where float64 holds them).":
        "Denne visning som kode: uddraget genskaber den med rnn_core (seed inklusive) og udskriver diagnosen og "
        "gradientkurven; PyTorch-scriptet bygger de samme vægte og input, kører torch.autograd og udskriver de samme "
        "tal (inden for 1e-10 relativt, hvor float64 kan rumme dem).",
    "Download the rnn_core snippet": "Hent rnn_core-uddraget",
    "Download the PyTorch script": "Hent PyTorch-scriptet",
    "{init}, gain {gain:g}": "{init}, gain {gain:g}",
    "leaky RNN, α = {leak:g}, {activation}, {weights}, {sizes}": "leaky RNN, α = {leak:g}, {activation}, {weights}, "
                                                                 "{sizes}",
    "chrono forget bias": "chrono-bias i glemselsporten",
    "forget bias {bias:g}": "bias {bias:g} i glemselsporten",
    "LRU, |λ| in [{lo:g}, {hi:g}], phase ≤ {phase:.3g}, {sizes}": "LRU, |λ| i [{lo:g}; {hi:g}], fase ≤ {phase:.3g}, "
                                                                   "{sizes}",
    # the diagnosis (rnn_core.diagnosis)
    "The hidden states overflowed float64 at step {overflow}, so the loss is placed at step {loss}.":
        "De skjulte tilstande løb over float64 i trin {overflow}, så tabet er placeret i trin {loss}.",
    "With a single step there is no lag to measure a rate over.":
        "Med et enkelt trin er der ingen afstand at måle en rate over.",
    "The gradient is exactly zero from lag {lag} on (vanishing): every unit's derivative is zero there.":
        "Gradienten er præcis nul fra afstand {lag} og bagud (forsvindende): hver enheds afledte er nul dér.",
    "The gradient is exactly zero from lag {lag} on (vanishing): the recurrent weights or the derivatives are zero.":
        "Gradienten er præcis nul fra afstand {lag} og bagud (forsvindende): de rekurrente vægte eller de afledte "
        "er nul.",
    "The gradient shrinks by a factor {rate} per step (vanishing): after {steps} it is {size}; it has fallen "
    "1000-fold {horizon} steps back.":
        "Gradienten skrumper med en faktor {rate} pr. trin (forsvindende): efter {steps} er den {size}; den er faldet "
        "med en faktor 1000 {horizon} trin tilbage.",
    "The gradient shrinks by a factor {rate} per step (vanishing): after {steps} it is {size}.":
        "Gradienten skrumper med en faktor {rate} pr. trin (forsvindende): efter {steps} er den {size}.",
    "The gradient grows by a factor {rate} per step (exploding): after {steps} it is {size}.":
        "Gradienten vokser med en faktor {rate} pr. trin (eksploderende): efter {steps} er den {size}.",
    "The gradient changes by a factor {rate} per step (stable): after {steps} it is {size}.":
        "Gradienten ændrer sig med en faktor {rate} pr. trin (stabil): efter {steps} er den {size}.",
    "The cell's own theory, {name}, is {value} after {steps}.": "Cellens egen teori, {name}, er {value} efter {steps}.",
    "{bound} < 1, so the Pascanu bound guarantees vanishing.":
        "{bound} < 1, så Pascanu-grænsen garanterer, at gradienten forsvinder.",
    "{bound} < 1: the bound lets the gradient only shrink, to at most {most} after {steps}.":
        "{bound} < 1: grænsen lader kun gradienten skrumpe, til højst {most} efter {steps}.",
    "{bound} ≥ 1 would allow growth, yet the activation's derivatives (mean act' = {dact:.2f}) shrink it.":
        "{bound} ≥ 1 ville tillade vækst, men aktiveringens afledte (gennemsnitlig act' = {dact:.2f}) får den til "
        "at skrumpe.",
    "{bound} ≥ 1 would allow growth, yet the directions that grow are not the ones the gradient follows.":
        "{bound} ≥ 1 ville tillade vækst, men de retninger, der vokser, er ikke dem, gradienten følger.",
    "{bound} > 1, which exploding requires.": "{bound} > 1, hvilket en eksploderende gradient kræver.",
    "{bound} ≥ 1: the bound allows growth but does not force it.":
        "{bound} ≥ 1: grænsen tillader vækst, men gennemtvinger den ikke.",
    "{size} times its size at the loss": "{size} gange sin størrelse ved tabet",
    "{size} of its size at the loss": "{size} af sin størrelse ved tabet",
    "as large as at the loss": "lige så stor som ved tabet",
    "1 step": "1 trin",
    "{k} steps": "{k} trin",
    "carousel": "karrusel",
    "linearized radius ρ((1-α)I + αW_hh)^(T-t)": "lineariseret radius ρ((1-α)I + αW_hh)^(T-t)",
    "update gate": "opdateringsport",
    "Jacobian products skipped: N³·T = {work:.2g} exceeds the budget {budget:.0e} (lower the hidden size or the "
    "sequence length).":
        "Jacobi-produkterne er sprunget over: N³·T = {work:.2g} overstiger budgettet {budget:.0e} (sænk den skjulte "
        "størrelse eller sekvenslængden).",
    # the captions (ui.captions)
    "none: it grows": "ingen: den vokser",
    "> {T} steps": "> {T} trin",
    "more than {decades:g}": "mere end {decades:g}",
    "A single step: the gradient at the loss has norm 1 and there is no lag to travel back over.":
        "Et enkelt trin: gradienten ved tabet har normen 1, og der er ingen afstand at rejse tilbage over.",
    "Over {K} steps back, ‖dL/dh_t‖ goes from 1 at the loss to {end} at t = 0 ({regime}: a factor {rate} per step).":
        "Over {K} trin tilbage går ‖dL/dh_t‖ fra 1 ved tabet til {end} ved t = 0 ({regime}: en faktor {rate} pr. "
        "trin).",
    "‖dL/dh_t‖ is exactly zero from lag {lag} back ({regime}).": "‖dL/dh_t‖ er præcis nul fra afstand {lag} og bagud "
                                                                  "({regime}).",
    "{name} is {value} after {K} steps": "{name} er {value} efter {K} trin",
    "No single matrix bounds a gated step; the dotted line is the cell's own theory: {said}":
        "Ingen enkelt matrix begrænser et trin med porte; den prikkede linje er cellens egen teori: {said}",
    "No single matrix bounds a gated step; the dotted line is the cell's own theory":
        "Ingen enkelt matrix begrænser et trin med porte; den prikkede linje er cellens egen teori",
    "The red dashed Pascanu bound (γ·σ_max)^(T−t) = {bound:.3g}^(T−t) lies above the measured curve at every step, "
    "as a bound must":
        "Den røde, stiplede Pascanu-grænse (γ·σ_max)^(T−t) = {bound:.3g}^(T−t) ligger over den målte kurve i hvert "
        "trin, som en grænse skal",
    "The red dashed Pascanu bound (γ·σ_max)^(T−t) = {bound:.3g}^(T−t) is crossed by the measured curve — that would "
    "be a bug; please report it":
        "Den røde, stiplede Pascanu-grænse (γ·σ_max)^(T−t) = {bound:.3g}^(T−t) krydses af den målte kurve — det ville "
        "være en fejl; rapportér den venligst",
    "The red dashed step bound = {bound:.3g}^(T−t) lies above the measured curve at every step, as a bound must":
        "Den røde, stiplede trin-grænse = {bound:.3g}^(T−t) ligger over den målte kurve i hvert trin, som en grænse "
        "skal",
    "The red dashed step bound = {bound:.3g}^(T−t) is crossed by the measured curve — that would be a bug; please "
    "report it":
        "Den røde, stiplede trin-grænse = {bound:.3g}^(T−t) krydses af den målte kurve — det ville være en fejl; "
        "rapportér den venligst",
    "{a}; the yellow Lyapunov line has slope λ_max = {slope:+.3f} per step.":
        "{a}; den gule Lyapunov-linje har hældningen λ_max = {slope:+.3f} pr. trin.",
    "; it runs off the top of the chart ({edge}) {span}, reaching {end} at t = 0":
        "; den forlader diagrammet foroven ({edge}) {span} og når {end} ved t = 0",
    "; it runs off the bottom of the chart ({edge}) {span}, reaching {end} at t = 0":
        "; den forlader diagrammet forneden ({edge}) {span} og når {end} ved t = 0",
    "at t = 0 (lag {K})": "ved t = 0 (afstand {K})",
    "for t ≤ {t} (lag ≥ {lag})": "for t ≤ {t} (afstand ≥ {lag})",
    "Pascanu, Mikolov & Bengio (2013): γ·σ_max < 1 is sufficient for vanishing; γ·σ_max > 1 is necessary for "
    "exploding.":
        "Pascanu, Mikolov & Bengio (2013): γ·σ_max < 1 er nok til, at gradienten forsvinder; γ·σ_max > 1 er "
        "nødvendigt, for at den kan eksplodere.",
    "The leak keeps a share 1 − α of the state unchanged every step: a small α makes each step close to the "
    "identity, so the gradient changes slowly whatever W_hh is.":
        "Lækagen lader en andel 1 − α af tilstanden være uændret i hvert trin: et lille α gør hvert trin tæt på "
        "identiteten, så gradienten ændrer sig langsomt, uanset hvad W_hh er.",
    "The constant error carousel (Hochreiter & Schmidhuber 1997): along the cell state the gradient is only "
    "multiplied by the forget gates, so with f near 1 it survives hundreds of steps; a forget-gate bias of 1 starts "
    "f around σ(1) ≈ 0.73, a larger one (or chrono initialization) nearer 1.":
        "Den konstante fejlkarrusel (Hochreiter & Schmidhuber 1997): langs celletilstanden ganges gradienten kun med "
        "glemselsportene, så med f nær 1 overlever den hundredvis af trin; en bias på 1 i glemselsporten starter f "
        "omkring σ(1) ≈ 0,73, en større bias (eller chrono-initialisering) tættere på 1.",
    "Cho et al. (2014): the update gate z copies the state forward; where z is near 1 the gradient passes through "
    "unchanged.":
        "Cho m.fl. (2014): opdateringsporten z kopierer tilstanden videre; hvor z er nær 1, passerer gradienten "
        "uændret.",
    "Exactly, for every t. Orvieto et al. (2023): a linear, diagonal recurrence with every |λ| < 1 cannot explode, "
    "and |λ| near 1 keeps a long memory; the normalization γ = √(1 − |λ|²) keeps the states of such units from "
    "growing. The price (Zucchet & Orvieto 2024): the sensitivity to λ itself grows as |λ| → 1.":
        "Præcist, for hvert t. Orvieto m.fl. (2023): en lineær, diagonal rekursion med alle |λ| < 1 kan ikke "
        "eksplodere, og |λ| nær 1 giver en lang hukommelse; normaliseringen γ = √(1 − |λ|²) forhindrer sådanne "
        "enheders tilstande i at vokse. Prisen (Zucchet & Orvieto 2024): følsomheden over for selve λ vokser, når "
        "|λ| → 1.",
    "The hidden state is exactly 0 at every step, so there is nothing to draw: {why}. Choose an input (noise, "
    "impulse, sine or text) with a scale above 0 to see the states move.":
        "Den skjulte tilstand er præcis 0 i hvert trin, så der er intet at tegne: {why}. Vælg et input (støj, impuls, "
        "sinus eller tekst) med en skala over 0 for at se tilstandene bevæge sig.",
    "The hidden state is exactly 0 at every step, so there is nothing to draw: {why}. {advice}":
        "Den skjulte tilstand er præcis 0 i hvert trin, så der er intet at tegne: {why}. {advice}",
    "the input is zero": "inputtet er nul",
    "the input scale is 0": "inputskalaen er 0",
    "{what}, so h_t = λ·h_(t−1) + γ·B·0 stays at h_0 = 0": "{what}, så h_t = λ·h_(t−1) + γ·B·0 bliver ved h_0 = 0",
    "{what}, so every step's candidate tanh(W·0 + 0) is 0 and the state stays at h_0 = 0":
        "{what}, så hvert trins kandidat tanh(W·0 + 0) er 0, og tilstanden bliver ved h_0 = 0",
    "{what} and the bias is 0, so every step computes act(W_hh·0 + 0) = act(0) = 0":
        "{what}, og bias er 0, så hvert trin beregner act(W_hh·0 + 0) = act(0) = 0",
    "{what}, and act(W_hh·0 + b) = act(b) is 0 for every unit": "{what}, og act(W_hh·0 + b) = act(b) er 0 for hver "
                                                                  "enhed",
    "every step maps the state to 0": "hvert trin afbilder tilstanden på 0",
    "the model's input weights are all zero (a file with W_hh alone has none), so no input reaches the state, and it "
    "starts at h_0 = 0":
        "modellens inputvægte er alle nul (en fil med W_hh alene har ingen), så intet input når tilstanden, og den "
        "starter ved h_0 = 0",
    "Choose a random initial state to see what the recurrence does with it.":
        "Vælg en tilfældig begyndelsestilstand for at se, hvad rekursionen gør med den.",
    "the input is zero at every step and the model maps a zero state with a zero input to 0":
        "inputtet er nul i hvert trin, og modellen afbilder en nultilstand med et nulinput på 0",
    "Choose another input, or a random initial state.": "Vælg et andet input eller en tilfældig begyndelsestilstand.",
    "Choose a random initial state.": "Vælg en tilfældig begyndelsestilstand.",
    " The states overflowed float64 at step {step}; the charts stop before.":
        " Tilstandene løb over float64 i trin {step}; diagrammerne stopper før.",
    "dead (h ≤ 0, where relu' = 0)": "døde (h ≤ 0, hvor relu' = 0)",
    "on the leaky side (slope 0.01)": "på den utætte side (hældning 0,01)",
    "saturated (|h| > 0.97, where tanh' < 0.06)": "mættede (|h| > 0,97, hvor tanh' < 0,06)",
    "saturated (h outside [0.03, 0.97], where σ' < 0.03)": "mættede (h uden for [0,03; 0,97], hvor σ' < 0,03)",
    "saturated (never, for the linear activation)": "mættede (aldrig, for den lineære aktivering)",
    "Mean |h_t| is {mean:.3g}. The gates decide how much of the gradient passes each step; their own theory curve is "
    "drawn in the gradient chart above.{overflow}":
        "Gennemsnitlig |h_t| er {mean:.3g}. Portene afgør, hvor meget af gradienten der passerer i hvert trin; deres "
        "egen teorikurve er tegnet i gradientdiagrammet ovenfor.{overflow}",
    "Mean |h_t| is {mean:.3g}. The recurrence is linear: the gradient's size does not depend on the states at "
    "all.{overflow}":
        "Gennemsnitlig |h_t| er {mean:.3g}. Rekursionen er lineær: gradientens størrelse afhænger slet ikke af "
        "tilstandene.{overflow}",
    "Mean |h_t| is {mean:.3g}; on average {share:.0%} of the units are {what}.":
        "Gennemsnitlig |h_t| er {mean:.3g}; i gennemsnit er {share:.0%} af enhederne {what}.",
    "Their derivatives multiply the gradient at every step: the mean act'(a_t) is {dact:.2f}.{overflow}":
        "Deres afledte ganges på gradienten i hvert trin: den gennemsnitlige act'(a_t) er {dact:.2f}.{overflow}",
    "all {n} eigenvalues lie on the unit circle (|λ| = 1 within {tol})":
        "alle {n} egenværdier ligger på enhedscirklen (|λ| = 1 inden for {tol})",
    "{k} of {n} eigenvalues lies outside the unit circle": "{k} af {n} egenværdier ligger uden for enhedscirklen",
    "{k} of {n} eigenvalues lie outside the unit circle": "{k} af {n} egenværdier ligger uden for enhedscirklen",
    "{where} and {on} on it (within {tol})": "{where} og {on} på den (inden for {tol})",
    "Spectral radius ρ({M}) = {rho:.3g}, largest singular value σ_max = {sigma:.3g}; {where}. {sv}":
        "Spektralradius ρ({M}) = {rho:.3g}, største singulærværdi σ_max = {sigma:.3g}; {where}. {sv}",
    "Each complex unit multiplies its state by its own λ every step (and the real view shows λ with its conjugate): "
    "the gradient from t to T is exactly max|λ|^(T−t), so every |λ| < 1 means it can never explode, and max|λ| sets "
    "how far back it reaches.":
        "Hver kompleks enhed ganger sin tilstand med sit eget λ i hvert trin (og den reelle visning viser λ sammen "
        "med dens konjugerede): gradienten fra t til T er præcis max|λ|^(T−t), så når alle |λ| < 1, kan den aldrig "
        "eksplodere, og max|λ| afgør, hvor langt tilbage den rækker.",
    "The step Jacobian is (1−α)·I + α·diag(act′)·W_hh: the leak pulls every eigenvalue of W_hh toward 1, so a small α "
    "keeps the gradient near its size for long stretches whatever W_hh is (the echo-state and continuous-time view).":
        "Trinnets Jacobi-matrix er (1−α)·I + α·diag(act′)·W_hh: lækagen trækker alle egenværdier af W_hh mod 1, så et "
        "lille α holder gradienten nær sin størrelse over lange stræk, uanset W_hh (synet fra echo state-netværk og "
        "kontinuert tid).",
    "Eigenvalues outside the circle of radius 1/γ are needed for the linearized dynamics to grow; σ_max bounds the "
    "growth of any single step.":
        "Egenværdier uden for cirklen med radius 1/γ er nødvendige, for at den lineariserede dynamik kan vokse; "
        "σ_max begrænser væksten i hvert enkelt trin.",
    "With γ = 1, the circles 1 and 1/γ coincide: eigenvalues outside it are directions that grow in the linear "
    "regime; σ_max bounds the growth of any single step.":
        "Med γ = 1 falder cirklerne 1 og 1/γ sammen: egenværdier uden for den er retninger, der vokser i det lineære "
        "regime; σ_max begrænser væksten i hvert enkelt trin.",
    "the other is {value}": "den anden er {value}",
    "the other {k} equal {value} (within rounding)": "de øvrige {k} er lig med {value} (på nær afrunding)",
    "All {k} singular values of {name} equal {value} (within rounding)":
        "Alle {k} singulærværdier af {name} er lig med {value} (på nær afrunding)",
    "all {k} singular values of {name} equal {value} (within rounding)":
        "alle {k} singulærværdier af {name} er lig med {value} (på nær afrunding)",
    "the others span {decades} decades": "de øvrige spænder over {decades} dekader",
    "The singular values of {name} span {decades} decades": "Singulærværdierne af {name} spænder over {decades} "
                                                            "dekader",
    "the singular values of {name} span {decades} decades": "singulærværdierne af {name} spænder over {decades} "
                                                            "dekader",
    "{body} ({lost} of them lie below float64's resolution, {resolution:g} decades under the largest, and are not "
    "drawn)":
        "{body} ({lost} af dem ligger under float64's opløsning, {resolution:g} dekader under den største, og tegnes "
        "ikke)",
    "{zeros} of the {n} singular values of {name} is exactly 0": "{zeros} af de {n} singulærværdier af {name} er "
                                                                 "præcis 0",
    "{zeros} of the {n} singular values of {name} are exactly 0": "{zeros} af de {n} singulærværdier af {name} er "
                                                                  "præcis 0",
    "{text} {M} alone is an isometry, but the activation's derivatives are not (mean act' = {dact:.2f}): they break "
    "the isometry of the product.":
        "{text} {M} alene er en isometri, men det er aktiveringens afledte ikke (gennemsnitlig act' = {dact:.2f}): de "
        "bryder produktets isometri.",
    "Every term δ_t h_(t−1)ᵀ is exactly zero because the hidden state h_(t−1) is 0 at every step (see above): this "
    "sequence gives W_hh no gradient at all.":
        "Hvert led δ_t h_(t−1)ᵀ er præcis nul, fordi den skjulte tilstand h_(t−1) er 0 i hvert trin (se ovenfor): "
        "denne sekvens giver slet ingen gradient til W_hh.",
    "Every step's term δ_t h_(t−1)ᵀ is exactly zero (the gradient δ_t at every step is 0): the update to W_hh learns "
    "nothing from this sequence.":
        "Hvert trins led δ_t h_(t−1)ᵀ er præcis nul (gradienten δ_t er 0 i hvert trin): opdateringen af W_hh lærer "
        "intet af denne sekvens.",
    "{k} of {n} steps contribute less than 1/1000 of the largest term: the update barely learns from them.":
        "{k} af {n} trin bidrager med under 1/1000 af det største led: opdateringen lærer næsten intet af dem.",
    "Every step contributes within a factor 1000 of the largest.":
        "Hvert trin bidrager med mindst en tusindedel af det største led.",
    "dL/dW_hh = Σ_t δ_t h_(t−1)ᵀ: the largest term is at t = {t} ({value}).  \n{far}":
        "dL/dW_hh = Σ_t δ_t h_(t−1)ᵀ: det største led er ved t = {t} ({value}).  \n{far}",
    "The shaded band is this ring, |λ| from {lo:g} to {hi:g}. At |λ| = {hi:g} the state's sensitivity to its own "
    "eigenvalue is {at}, {ratio} times that at |λ| = 0.5 (a long sequence, white-noise input). A long memory "
    "(|λ| → 1) keeps the gradient through time alive but makes the recurrence itself ever harder to train: the input "
    "normalization γ = √(1 − |λ|²) keeps the state's size at 1, not this sensitivity (Zucchet & Orvieto 2024).":
        "Det skraverede bånd er denne ring, |λ| fra {lo:g} til {hi:g}. Ved |λ| = {hi:g} er tilstandens følsomhed over "
        "for sin egen egenværdi {at}, {ratio} gange den ved |λ| = 0,5 (en lang sekvens, hvid støj som input). En "
        "lang hukommelse (|λ| → 1) holder gradienten gennem tiden i live, men gør selve rekursionen stadig sværere "
        "at træne: inputnormaliseringen γ = √(1 − |λ|²) holder tilstandens størrelse på 1, men ikke denne følsomhed "
        "(Zucchet & Orvieto 2024).",
    "zero input": "nulinput",
    "text input '{text}' (one-hot, scale {scale:g})": "tekstinput '{text}' (one-hot, skala {scale:g})",
    "{kind} input (scale {scale:g}, D = {D})": "{kind} som input (skala {scale:g}, D = {D})",
    "the gain g from {lo:g} to {hi:g} ({n} values, log-spaced) × {axis}":
        "gain g fra {lo:g} til {hi:g} ({n} værdier, logaritmisk fordelt) × {axis}",
    "seed {seed}": "seed {seed}",
    "{n} seeds ({first} to {last}) per cell": "{n} seeds ({first} til {last}) pr. celle",
    "{init} W_hh": "{init} W_hh",
    "batch {B}": "batch {B}",
    "bias scale {b:g}": "bias-skala {b:g}",
    "leak α = {leak:g}": "lækage α = {leak:g}",
    "This map sweeps {gains}, {seeds}. Every other setting is the sidebar's: {fixed}. The rate is measured with the "
    "last-step loss.":
        "Kortet gennemløber {gains}, {seeds}. Alle andre indstillinger kommer fra sidepanelet: {fixed}. Raten måles "
        "med tabet i sidste trin.",
    "Both networks: gain {gain:g}, {activation}, {input}, N = {N}, T = {T}, seed {seed}.":
        "Begge netværk: gain {gain:g}, {activation}, {input}, N = {N}, T = {T}, seed {seed}.",
    "The {fixed} are set here, not in the sidebar: a small input keeps tanh near its linear range, where the lesson "
    "holds.":
        "Følgende sættes her, ikke i sidepanelet: {fixed}. Et lille input holder tanh nær sit lineære område, hvor "
        "pointen holder.",
    "The {fixed} are set here, not in the sidebar.": "Følgende sættes her, ikke i sidepanelet: {fixed}.",
    "gain": "gain",
    "input": "input",
    "The Gaussian W's eigenvalues fill the disc of radius g = {gain:g} (circular law; largest |λ| = {top:.3g})":
        "Den gaussiske W's egenværdier fylder cirkelskiven med radius g = {gain:g} (cirkelloven; største |λ| = "
        "{top:.3g})",
    "{a}; the orthogonal W's all lie on the circle of radius g.": "{a}; den ortogonale W's ligger alle på cirklen med "
                                                                  "radius g.",
    "{a}; the orthogonal W's have |λ| from {lo:.3g} to {hi:.3g}.": "{a}; den ortogonale W's har |λ| fra {lo:.3g} til "
                                                                   "{hi:.3g}.",
    "The singular values of W_hh span {g} decades for the Gaussian W and are all equal for the orthogonal one "
    "(dynamical isometry).":
        "Singulærværdierne af W_hh spænder over {g} dekader for den gaussiske W og er alle ens for den ortogonale "
        "(dynamisk isometri).",
    "The singular values of W_hh span {g} decades for the Gaussian W and {o} for the orthogonal one.":
        "Singulærværdierne af W_hh spænder over {g} dekader for den gaussiske W og {o} for den ortogonale.",
    "Over T = {T} steps the product dh_T/dh_0 spreads them over {g} decades (Gaussian) against {o} (orthogonal): the "
    "orthogonal network keeps every direction of the gradient within a factor {factor} of the others, none "
    "amplified or crushed much more than another.":
        "Over T = {T} trin spreder produktet dh_T/dh_0 dem over {g} dekader (gaussisk) mod {o} (ortogonal): det "
        "ortogonale netværk holder alle gradientens retninger inden for en faktor {factor} af hinanden, ingen "
        "forstærket eller knust meget mere end en anden.",
    "Over T = {T} steps the product dh_T/dh_0 spreads them over {g} decades (Gaussian) against {o} (orthogonal): the "
    "orthogonal network keeps every direction of the gradient at the same size, none amplified or crushed much more "
    "than another.":
        "Over T = {T} trin spreder produktet dh_T/dh_0 dem over {g} dekader (gaussisk) mod {o} (ortogonal): det "
        "ortogonale netværk holder alle gradientens retninger på samme størrelse, ingen forstærket eller knust meget "
        "mere end en anden.",
    "Over T = {T} steps the product dh_T/dh_0 spreads them over {g} decades (Gaussian) against {o} (orthogonal): the "
    "activation's derivatives (mean act' = {dact:.2f}) break the isometry that the orthogonal W has alone, and it "
    "helps little here.":
        "Over T = {T} trin spreder produktet dh_T/dh_0 dem over {g} dekader (gaussisk) mod {o} (ortogonal): "
        "aktiveringens afledte (gennemsnitlig act' = {dact:.2f}) bryder den isometri, som den ortogonale W har "
        "alene, og den hjælper kun lidt her.",
    "Over T = {T} steps the product dh_T/dh_0 spreads them over {g} decades (Gaussian) against {o} (orthogonal): "
    "less, but the activation's derivatives (mean act' = {dact:.2f}) still spread the orthogonal product.":
        "Over T = {T} trin spreder produktet dh_T/dh_0 dem over {g} dekader (gaussisk) mod {o} (ortogonal): mindre, "
        "men aktiveringens afledte (gennemsnitlig act' = {dact:.2f}) spreder stadig det ortogonale produkt.",
    "λ_max along each network's own trajectory (mean ± sd over seeds). The dashed curve is the mean-field prediction "
    "for a large tanh network without input: ln g below g = 1, then ½·ln(g²·E[sech⁴(√Δ·z)]) with "
    "Δ = g²·E[tanh²(√Δ·z)].":
        "λ_max langs hvert netværks egen bane (gennemsnit ± sd over seeds). Den stiplede kurve er middelfeltteoriens "
        "forudsigelse for et stort tanh-netværk uden input: ln g under g = 1, derefter ½·ln(g²·E[sech⁴(√Δ·z)]) med "
        "Δ = g²·E[tanh²(√Δ·z)].",
    "every one of the {n} tanh networks lies below it": "alle {n} tanh-netværk ligger under den",
    "{k} of the {n} tanh networks lie below it": "{k} af de {n} tanh-netværk ligger under den",
    ": a driven network is less chaotic.": ": et netværk, der drives af et input, er mindre kaotisk.",
    " (this map's networks have an input; the curve assumes none).":
        " (kortets netværk har et input; kurven forudsætter intet).",
    " (no input here, as the curve assumes; a finite N and T still move the measured values).":
        " (intet input her, som kurven forudsætter; et endeligt N og T flytter stadig de målte værdier).",
    "{head}  \nMeasured, {where}{why}": "{head}  \nMålt: {where}{why}",
    # the charts
    "lag T − t (steps back from the loss)": "afstand T − t (trin tilbage fra tabet)",
    "norm (log scale)": "norm (log-skala)",
    "curve": "kurve",
    "log10 norm": "log10 af normen",
    "‖dL/dh_t‖ (measured)": "‖dL/dh_t‖ (målt)",
    "‖dh_T/dh_t‖₂ (Jacobian product)": "‖dh_T/dh_t‖₂ (Jacobi-produkt)",
    "(γ·σ_max)^(T−t) (Pascanu bound)": "(γ·σ_max)^(T−t) (Pascanu-grænse)",
    "(step bound)^(T−t)": "(trin-grænse)^(T−t)",
    "‖dL/d{part}_t‖ (measured, {part} alone)": "‖dL/d{part}_t‖ (målt, {part} alene)",
    "{name} (theory)": "{name} (teori)",
    "‖dL/dh_t‖ (log scale)": "‖dL/dh_t‖ (log-skala)",
    "network": "netværk",
    "|λ| (eigenvalue modulus)": "|λ| (egenværdiens modulus)",
    "expected size (log scale)": "forventet størrelse (log-skala)",
    "sensitivity to λ, E|dh/dλ|² (normalized input)": "følsomhed over for λ, E|dh/dλ|² (normaliseret input)",
    "state variance E|h|² (no normalization)": "tilstandens varians E|h|² (ingen normalisering)",
    "hidden unit": "skjult enhed",
    "unit": "enhed",
    "size of the state ‖h_t‖": "tilstandens størrelse ‖h_t‖",
    "‖h_t‖ (log scale)": "‖h_t‖ (log-skala)",
    "fraction of dead ReLUs": "andel døde ReLU'er",
    "fraction of saturated units": "andel mættede enheder",
    "fraction": "andel",
    "|λ| = 1 (unit circle)": "|λ| = 1 (enhedscirklen)",
    "|λ| = 1/γ = {radius:g}": "|λ| = 1/γ = {radius:g}",
    "‖term_t‖ (log scale)": "‖led_t‖ (log-skala)",
    "index i (descending)": "indeks i (faldende)",
    "σ_i (log scale)": "σ_i (log-skala)",
    "matrix": "matrix",
    "gain g (log scale)": "gain g (log-skala)",
    "log10 rate per step": "log10 af raten pr. trin",
    "λ_max per step": "λ_max pr. trin",
    "log10 rate": "log10 af raten",
    "regime": "regime",
    "measured crossing": "målt krydsning",
    "measured rate = 1": "målt rate = 1",
    "line": "linje",
    "γ·σ_max = 1 (Pascanu)": "γ·σ_max = 1 (Pascanu)",
    "λ_max (natural log per step)": "λ_max (naturlig logaritme pr. trin)",
    "mean-field theory (tanh, no input)": "middelfeltteori (tanh, intet input)",
    "gain g": "gain g",
    "lag": "afstand",
    "initializer": "initialisering",
    "exponent i": "eksponent i",
    "λ_i (per step)": "λ_i (pr. trin)",
    "letter read": "læst bogstav",
    "start": "start",
    "before clipping": "før clipping",
    "after clipping at {threshold:g}": "efter clipping til {threshold:g}",
    "‖dL/dW_hh‖ (log scale)": "‖dL/dW_hh‖ (log-skala)",
    "when": "hvornår",
    # the Regime map
    "One configuration shows a curve; a map shows where the regimes are. Each cell is a network: its colour is the "
    "measured per-step rate of the gradient (log10: blue vanishes, red explodes, white is stable), averaged over "
    "seeds. Click a cell to open it in the Explorer.":
        "Én konfiguration viser en kurve; et kort viser, hvor regimerne ligger. Hver celle er et netværk: dens farve "
        "er gradientens målte rate pr. trin (log10: blå forsvinder, rød eksploderer, hvid er stabil), i gennemsnit "
        "over seeds. Klik på en celle for at åbne den i Explorer.",
    "This map sweeps the vanilla RNN; the {cell} chosen in the sidebar is drawn in the Explorer and beside others on "
    "the Compare page, and the second axis 'cell' maps every cell whose recurrent weights the gain scales. Here: the "
    "vanilla RNN with the sidebar's other settings.":
        "Kortet gennemløber det simple RNN; det {cell}, der er valgt i sidepanelet, vises i Explorer og ved siden af "
        "andre på siden Sammenlign, og den anden akse 'celle' kortlægger alle celler, hvis rekurrente vægte gain "
        "skalerer. Her: det simple RNN med sidepanelets øvrige indstillinger.",
    "This map would need {cost:.2g} floating-point operations, over the cap of {cap:.2g}. Use fewer gains or seeds, "
    "or a smaller sequence length, hidden size or batch in the sidebar.":
        "Kortet ville kræve {cost:.2g} flydende-komma-operationer, over loftet på {cap:.2g}. Brug færre gains eller "
        "seeds, eller en mindre sekvenslængde, skjult størrelse eller batch i sidepanelet.",
    "Sweeping the map…": "Gennemløber kortet …",
    "Swept {i} of {n} rows": "{i} af {n} rækker gennemløbet",
    "Comparing Gaussian and orthogonal W_hh…": "Sammenligner gaussisk og ortogonal W_hh …",
    "Rate map": "Ratekort",
    "Lyapunov exponent": "Lyapunov-eksponent",
    "Small multiples": "Små multipler",
    "Spectrum: Gaussian vs orthogonal": "Spektrum: gaussisk mod ortogonal",
    "Black diamonds: where the measured rate crosses 1 ({crossing}). Black ticks: the gain where γ·σ_max(W) = 1 for "
    "these very matrices — left of it vanishing is guaranteed (Pascanu et al. 2013). Yellow ticks: ρ(W) = 1.  \n"
    "Between the black tick and the diamond the bound allows growth, yet the gradient still vanishes: the bound is "
    "sufficient, not necessary.":
        "Sorte ruder: hvor den målte rate krydser 1 ({crossing}). Sorte streger: det gain, hvor γ·σ_max(W) = 1 for "
        "netop disse matricer — til venstre for den er det garanteret, at gradienten forsvinder (Pascanu m.fl. 2013). "
        "Gule streger: ρ(W) = 1.  \nMellem den sorte streg og ruden tillader grænsen vækst, men gradienten forsvinder "
        "alligevel: grænsen er tilstrækkelig, ikke nødvendig.",
    "none within the gains swept": "ingen inden for de gennemløbne gains",
    "Download the map (CSV, one row per network)": "Hent kortet (CSV, én række pr. netværk)",
    "log10 ‖dL/dh‖ against the lag for a coarse grid (first seed), every panel on the same axis (clipped at 1e±12): "
    "the change of regime is seen at a glance.":
        "log10 ‖dL/dh‖ mod afstanden for et groft gitter (første seed), alle paneler på samme akse (klippet ved "
        "1e±12): skiftet mellem regimer ses med ét blik.",
    "Map computed in {s:.2f} s ({n} networks, axis {axis} × {k} values). Uses the sidebar's settings; the gain is "
    "swept.":
        "Kortet er beregnet på {s:.2f} s ({n} netværk, aksen {axis} × {k} værdier). Bruger sidepanelets "
        "indstillinger; gain gennemløbes.",
    "activation": "aktivering",
    "hidden size N": "skjult størrelse N",
    "sequence length T": "sekvenslængde T",
    "cell": "celle",
    "leaky": "leaky",
    "decades between largest and smallest σ": "dekader mellem største og mindste σ",
    # Compare
    "The same sequence, read by different cells. Every network here shares the sidebar's settings (length, size, "
    "input, seed); each column changes only what its name says.":
        "Den samme sekvens, læst af forskellige celler. Alle netværk her deler sidepanelets indstillinger (længde, "
        "størrelse, input, seed); hver kolonne ændrer kun det, dens navn siger.",
    "Choose at least two variants in the sidebar to compare them.":
        "Vælg mindst to varianter i sidepanelet for at sammenligne dem.",
    "Gradient norm across time, on one log axis": "Gradientens norm gennem tiden, på én log-akse",
    "{value} at t = 0": "{value} ved t = 0",
    "exactly zero at t = 0": "præcis nul ved t = 0",
    "{name}: {regime}, a factor {rate} per step, {reach}": "{name}: {regime}, en faktor {rate} pr. trin, {reach}",
    "Hidden states, on one colour scale": "Skjulte tilstande, på én farveskala",
    "One colour scale for all: ±{bound:.3g} (the largest |h| shown, 99th percentile). A pale map is a network whose "
    "states stay small.":
        "Én farveskala for alle: ±{bound:.3g} (den største viste |h|, 99. percentil). Et blegt kort er et netværk, "
        "hvis tilstande forbliver små.",
    "Diagnostics": "Diagnose",
    "settings": "indstillinger",
    "own theory at t = 0": "egen teori ved t = 0",
    "Copy the address bar to share exactly this comparison.": "Kopiér adresselinjen for at dele netop denne "
                                                              "sammenligning.",
    # Your model
    "Does your trained network forget, and from how far back does its gradient still arrive? Upload the weights of a "
    "torch.nn.RNN, nn.LSTM or nn.GRU and see every view of the Explorer for them.":
        "Glemmer dit trænede netværk, og hvor langt tilbage når dets gradient stadig? Upload vægtene fra et "
        "torch.nn.RNN, nn.LSTM eller nn.GRU, og se alle Explorer-sidens visninger for dem.",
    "How to export a model from PyTorch": "Sådan eksporterer du en model fra PyTorch",
    "A `.safetensors` file or an `.npz` of NumPy arrays (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, "
    "... as PyTorch names them, or plain `W_hh`, `W_xh`, `b`), up to {mib} MiB: an LSTM of 1024 units with 300 "
    "inputs is 22 MB in float32. Files written by `torch.save` (pickles) are refused: opening one can run code.":
        "En `.safetensors`-fil eller en `.npz` med NumPy-arrays (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, "
        "`bias_hh_l0`, … som PyTorch kalder dem, eller blot `W_hh`, `W_xh`, `b`) på op til {mib} MiB: en LSTM med "
        "1024 enheder og 300 input fylder 22 MB i float32. Filer skrevet med `torch.save` (pickles) afvises: at åbne "
        "en kan køre kode.",
    "Weights (.safetensors or .npz)": "Vægte (.safetensors eller .npz)",
    "Upload a file to begin. Nothing leaves this session: the file is read in memory and forgotten when you close "
    "the page.":
        "Upload en fil for at begynde. Intet forlader denne session: filen læses i hukommelsen og glemmes, når du "
        "lukker siden.",
    "This file cannot be used:": "Filen kan ikke bruges:",
    "The file cannot be read ({error}).": "Filen kan ikke læses ({error}).",
    "The file's tensors cannot be used ({error}).": "Filens tensorer kan ikke bruges ({error}).",
    "The model cannot be analyzed ({error}).": "Modellen kan ikke analyseres ({error}).",
    # why an uploaded file, its tensors or a pasted sequence is refused (rnn_core.weights); names from the file are
    # quoted as they are
    "The file is {size:.1f} MiB; the limit is {limit} MiB.": "Filen fylder {size:.1f} MiB; grænsen er {limit} MiB.",
    "The file is empty.": "Filen er tom.",
    "This is a Python pickle (what torch.save and pickle.dump write). Pickles can run code when opened, so they are "
    "never opened here. Save the state dict with safetensors.torch.save_file(model.state_dict(), 'model.safetensors') "
    "instead.":
        "Det er en Python-pickle (sådan en skriver torch.save og pickle.dump). En pickle kan køre kode, når den "
        "åbnes, så her åbnes den aldrig. Gem i stedet vægtene med "
        "safetensors.torch.save_file(model.state_dict(), 'model.safetensors').",
    "This .npz file is not a zip archive: it is corrupt or not an .npz file.":
        "Denne .npz-fil er ikke et zip-arkiv: den er beskadiget eller slet ikke en .npz-fil.",
    "The zip archive cannot be read: it is corrupt or truncated ({error}).":
        "Zip-arkivet kan ikke læses: det er beskadiget eller afkortet ({error}).",
    "This zip archive holds {name!r}: it is a PyTorch file written by torch.save, which is a pickle and is never "
    "opened here. Save the state dict with safetensors.torch.save_file(model.state_dict(), 'model.safetensors') "
    "instead.":
        "Zip-arkivet indeholder {name!r}: det er en PyTorch-fil skrevet med torch.save, altså en pickle, og den åbnes "
        "aldrig her. Gem i stedet vægtene med safetensors.torch.save_file(model.state_dict(), 'model.safetensors').",
    "This zip archive holds {name!r}, which is not an array (.npy): not an .npz file.":
        "Zip-arkivet indeholder {name!r}, som ikke er et array (.npy): det er ikke en .npz-fil.",
    "The file holds {n:,} arrays; at most {limit} are read.": "Filen indeholder {n:,} arrays; der læses højst {limit}.",
    "An array in the file cannot be read without unpickling it, which is never done here ({error}).":
        "Et array i filen kan kun læses ved at åbne det med pickle, og det gøres aldrig her ({error}).",
    "The .npz file is corrupt or truncated ({error}).": ".npz-filen er beskadiget eller afkortet ({error}).",
    "Member {name!r} is compressed with method {method}; only stored or deflated arrays (what np.savez and "
    "np.savez_compressed write) are read.":
        "Arkivets fil {name!r} er komprimeret med metode {method}; kun ukomprimerede eller deflate-komprimerede arrays "
        "(dem, np.savez og np.savez_compressed skriver) læses.",
    "An array in the file ({name!r}) cannot be read without unpickling it, which is never done here (an object "
    "array).":
        "Et array i filen ({name!r}) kan kun læses ved at åbne det med pickle, og det gøres aldrig her (et "
        "objekt-array).",
    "Member {name!r} says it holds {count:,} values of {dtype} but has {size:,} bytes: the file is corrupt.":
        "Arkivets fil {name!r} siger, at den rummer {count:,} værdier af typen {dtype}, men den fylder {size:,} byte: "
        "filen er beskadiget.",
    "Tensor {name!r} has shape {shape}: at most {dims} dimensions of at most 2^31 are read.":
        "Tensoren {name!r} har formen {shape}: der læses højst {dims} dimensioner på højst 2^31.",
    "The tensors would take {size:,.0f} MiB in float64; at most {limit} MiB are read.":
        "Tensorerne ville fylde {size:,.0f} MiB i float64; der læses højst {limit} MiB.",
    "Tensor {name!r} has dtype {dtype}; weights must be floating point (float16, bfloat16, float32 or float64).":
        "Tensoren {name!r} har datatypen {dtype}; vægte skal være kommatal (float16, bfloat16, float32 eller "
        "float64).",
    "Tensor {name!r} has dtype {dtype}; weights must be floating point (F16, BF16, F32 or F64).":
        "Tensoren {name!r} har datatypen {dtype}; vægte skal være kommatal (F16, BF16, F32 eller F64).",
    "The file has {n} bytes: too short for a safetensors header (truncated?).":
        "Filen fylder {n} byte: for lidt til en safetensors-header (er den afkortet?).",
    "The header says it is {n:,} bytes long, but the file has {rest:,} bytes after the length field: the file is "
    "truncated, or not a safetensors file.":
        "Headeren siger, at den er {n:,} byte lang, men filen har {rest:,} byte efter længdefeltet: filen er "
        "afkortet eller ikke en safetensors-fil.",
    "The safetensors header is not valid JSON: the file is corrupt, or not a safetensors file.":
        "Safetensors-headeren er ikke gyldig JSON: filen er beskadiget eller ikke en safetensors-fil.",
    "The safetensors header is not a table of tensors: the file is corrupt.":
        "Safetensors-headeren er ikke en tabel over tensorer: filen er beskadiget.",
    "The file holds {n:,} tensors; at most {limit} are read.":
        "Filen indeholder {n:,} tensorer; der læses højst {limit}.",
    "A tensor name is {n:,} characters long; at most {limit} are read.":
        "Et tensornavn er {n:,} tegn langt; der læses højst {limit} tegn.",
    "The header's entry for {name!r} is malformed: the file is corrupt.":
        "Headerens oplysninger om {name!r} er ugyldige: filen er beskadiget.",
    "The header says tensor {name!r} ({dtype}, shape {shape}) takes bytes {begin:,} to {end:,}":
        "Ifølge headeren ligger tensoren {name!r} ({dtype}, formen {shape}) i byte {begin:,} til {end:,}",
    "{said}, but that shape needs {need:,} bytes: the header does not match the file.":
        "{said}, men den form kræver {need:,} byte: headeren passer ikke til filen.",
    "{said}, but the data has only {body:,} bytes: the file is truncated.":
        "{said}, men dataene fylder kun {body:,} byte: filen er afkortet.",
    "The tensors' byte ranges overlap or leave gaps: the file is corrupt.":
        "Tensorernes byteområder overlapper eller har huller imellem sig: filen er beskadiget.",
    "The tensors cover {covered:,} bytes of the file's {body:,}: the file is corrupt.":
        "Tensorerne dækker {covered:,} af filens {body:,} byte: filen er beskadiget.",
    "The safetensors file cannot be read ({error}).": "Safetensors-filen kan ikke læses ({error}).",
    "Tensor {name!r} has {what} entries (of {size:,}): the weights are broken, perhaps by a diverged training run.":
        "Tensoren {name!r} har {what} af sine {size:,} værdier: vægtene er ødelagte, måske af en træning, der løb "
        "løbsk.",
    "{nan:,} NaN": "NaN i {nan:,}",
    "{inf:,} infinite": "uendelige tal i {inf:,}",
    "{nan:,} NaN and {inf:,} infinite": "NaN i {nan:,} og uendelige tal i {inf:,}",
    "'W_hh' has shape {shape}; a recurrent matrix is square, (N, N).":
        "'W_hh' har formen {shape}; en rekurrent matrix er kvadratisk, (N, N).",
    "No RNN weights found: expected PyTorch's 'weight_hh_l0' (with 'weight_ih_l0', 'bias_ih_l0', 'bias_hh_l0') or "
    "plain 'W_hh'. The file holds {shown}.":
        "Ingen RNN-vægte fundet: forventede PyTorchs 'weight_hh_l0' (med 'weight_ih_l0', 'bias_ih_l0', 'bias_hh_l0') "
        "eller blot 'W_hh'. Filen indeholder {shown}.",
    "nothing": "ingenting",
    "The file holds the weights of {n} recurrent modules (prefixes {prefixes}); save one module's state dict.":
        "Filen indeholder vægtene fra {n} rekurrente moduler (præfikserne {prefixes}); gem state dict'en for ét "
        "modul.",
    "This LSTM has projections (weight_hr_l0, proj_size > 0): not supported.":
        "Denne LSTM har projektioner (weight_hr_l0, proj_size > 0): det understøttes ikke.",
    "Tensor {name!r} is missing: it is the first layer's recurrent matrix.":
        "Tensoren {name!r} mangler: den er første lags rekurrente matrix.",
    "{name!r} has shape {shape}; expected (N, N) for an RNN, (3N, N) for a GRU or (4N, N) for an LSTM.":
        "{name!r} har formen {shape}; forventede (N, N) for et RNN, (3N, N) for en GRU eller (4N, N) for en LSTM.",
    "The hidden size is {N:,}; at most {limit:,} units are analyzed here.":
        "Den skjulte størrelse er {N:,}; her analyseres højst {limit:,} enheder.",
    "Layer {layer!r} has weights but no layer before it has 'weight_hh' (or there are more than {limit} layers): "
    "layers must run 0, 1, 2, ...":
        "Lag {layer!r} har vægte, men et lag før det mangler 'weight_hh' (eller der er mere end {limit} lag): lagene "
        "skal hedde 0, 1, 2, …",
    "The shapes say {inferred}, not {chosen}.": "Formerne siger {inferred}, ikke {chosen}.",
    "layer={layer} does not exist: the model has {layers} layer(s).":
        "layer={layer} findes ikke: modellen har {layers} lag.",
    "direction={direction} does not exist: the model has {directions} direction(s).":
        "direction={direction} findes ikke: modellen har {directions} retning(er).",
    "Tensor {name!r} is missing.": "Tensoren {name!r} mangler.",
    "Tensor {name!r} has shape {shape}; expected {want}.": "Tensoren {name!r} har formen {shape}; forventede {want}.",
    "Tensor {name!r} has {n:,} NaN or infinite entries.":
        "Tensoren {name!r} indeholder NaN eller uendelige tal ({n:,} i alt).",
    "The input size is {D:,}; between 1 and {limit:,} inputs are analyzed here.":
        "Inputstørrelsen er {D:,}; her analyseres mellem 1 og {limit:,} input.",
    "The readout 'u' is zero: the loss u·h would be 0.": "Udlæsningen 'u' er nul: tabet u·h ville være 0.",
    "A {kind} is not a torch.nn.RNN, nn.LSTM or nn.GRU.":
        "Et modul af typen {kind} er ikke et torch.nn.RNN, nn.LSTM eller nn.GRU.",
    "input_kind={value} is not one of {allowed}.": "input_kind={value} er ikke en af {allowed}.",
    "h0={value} is not one of {allowed}.": "h0={value} er ikke en af {allowed}.",
    "seq_len={seq_len} is outside [1, 10000].": "seq_len={seq_len} er uden for [1; 10000].",
    "The text has {n} distinct characters but the model only {D} inputs: one input per character is needed.":
        "Teksten har {n} forskellige tegn, men modellen kun {D} input: der skal være ét input pr. tegn.",
    "The pasted sequence is empty: one line per step, numbers separated by commas or spaces.":
        "Den indsatte sekvens er tom: én linje pr. trin, tallene adskilt af semikolon eller mellemrum.",
    "The pasted sequence has {n:,} steps; at most {limit:,} are read.":
        "Den indsatte sekvens har {n:,} trin; der læses højst {limit:,}.",
    "Line {line} of the pasted sequence is not a list of numbers.":
        "Linje {line} i den indsatte sekvens er ikke en række tal.",
    "Line {line} of the pasted sequence holds a NaN or infinite number.":
        "Linje {line} i den indsatte sekvens indeholder NaN eller et uendeligt tal.",
    "Line {line} of the pasted sequence has {n} numbers; the model has {D} inputs (give D numbers a line, or one for "
    "the first input).":
        "Linje {line} i den indsatte sekvens har {n} tal; modellen har {D} input (skriv D tal pr. linje eller ét til "
        "det første input).",
    "tensor": "tensor",
    "shape": "form",
    "used": "brugt",
    "scalar": "skalar",
    "no (not the RNN's)": "nej (ikke RNN'ets)",
    "yes": "ja",
    "Converted to float64: {converted} (of {n} tensors).": "Konverteret til float64: {converted} (af {n} tensorer).",
    "{n} from {dtype}": "{n} fra {dtype}",
    "The shapes say {cell} ({n} hidden units).": "Formerne siger {cell} ({n} skjulte enheder).",
    "Nonlinearity": "Ikke-linearitet",
    "nn.RNN's nonlinearity (a state dict does not say which; the default is tanh). Gated cells: not used.":
        "nn.RNN's ikke-linearitet (en state dict siger ikke hvilken; standarden er tanh). Celler med porte: bruges "
        "ikke.",
    "Layer": "Lag",
    "Direction": "Retning",
    "forward": "fremad",
    "reverse": "baglæns",
    "At most {n} steps here: the analysis of a 1024-unit LSTM keeps a few arrays of T × 2048 floats for every "
    "session that runs one.":
        "Højst {n} trin her: analysen af en LSTM med 1024 enheder holder nogle arrays med T × 2048 tal for hver "
        "session, der kører en.",
    "Seeds the noise, a random h_0 and the readout.": "Seed for støjen, en tilfældig h_0 og udlæsningen.",
    "Text (input 'text')": "Tekst (input 'tekst, one-hot')",
    "Sequence (input 'a sequence pasted as numbers'): one line per step, the model's inputs separated by commas or "
    "spaces; a single number a line feeds the first input":
        "Sekvens (input 'en sekvens indsat som tal'): én linje pr. trin, modellens input adskilt af semikolon eller "
        "mellemrum; et enkelt tal pr. linje går til det første input",
    "Initial state": "Begyndelsestilstand",
    "random, N(0, scale²)": "tilfældig, N(0, skala²)",
    "Scale of a random h₀": "Skala for en tilfældig h₀",
    "Analyze": "Analysér",
    "impulse at t = 1": "impuls ved t = 1",
    "text, one-hot": "tekst, one-hot",
    "a sequence pasted as numbers": "en sekvens indsat som tal",
    "Running your model and backpropagating through time…": "Kører din model og backpropagation gennem tiden …",
    "your {name}{where}: N = {N}, {D} inputs, T = {T}": "din {name}{where}: N = {N}, {D} input, T = {T}",
    ", layer {layer}": ", lag {layer}",
    ", reverse": ", baglæns",
    "Computed in {ms:.0f} ms. The file stays in this session only.":
        "Beregnet på {ms:.0f} ms. Filen bliver kun i denne session.",
    # the link's warnings and the settings' errors (rnn_core.config, rnn_core.phase, ui.state)
    "Some settings in the link could not be used:": "Nogle indstillinger i linket kunne ikke bruges:",
    "Ignored unknown parameter {key}.": "Ignorerede den ukendte parameter {key}.",
    "Ignored {key}={raw}: it {reason}. Using {value}.": "Ignorerede {key}={raw}: værdien {reason}. Bruger {value}.",
    "Ignored {key}={raw}: it is out of range. Using the smallest allowed value, {value}.":
        "Ignorerede {key}={raw}: værdien er uden for det tilladte område. Bruger den mindste tilladte værdi, {value}.",
    "Ignored {key}={raw}: it is out of range. Using the largest allowed value, {value}.":
        "Ignorerede {key}={raw}: værdien er uden for det tilladte område. Bruger den største tilladte værdi, {value}.",
    "Ignored the sizes from the link: {error}.": "Ignorerede størrelserne fra linket: {error}.",
    "Ignored the whole link: {error}.": "Ignorerede hele linket: {error}.",
    "Ignored {key}={raw}: {error}.": "Ignorerede {key}={raw}: {error}.",
    "Ignored lang={lang}: the app is in {offered}.": "Ignorerede lang={lang}: appen findes på {offered}.",
    "{first} or {second}": "{first} eller {second}",
    "{p0} and {p1}": "{p0} og {p1}",
    "Ignored unknown or extra variants in compare: {names}.": "Ignorerede ukendte eller overtallige varianter i "
                                                              "compare: {names}.",
    "Ignored unknown control(s) in hide: {names}.": "Ignorerede ukendte indstillinger i hide: {names}.",
    "Ignored unknown preset {slug}.": "Ignorerede den ukendte forudindstilling {slug}.",
    "is not an integer": "er ikke et heltal",
    "is not a number": "er ikke et tal",
    "is not a string": "er ikke en tekst",
    "is outside the allowed range [{lo}, {hi}]": "er uden for det tilladte område [{lo}; {hi}]",
    "is not one of {allowed}": "er ikke en af {allowed}",
    "must be a string of {lo} to {hi} characters": "skal være en tekst på {lo} til {hi} tegn",
    "{name}={value} is not one of {allowed}": "{name}={value} er ikke en af {allowed}",
    "{name}={value} is outside the allowed range [{lo}, {hi}]": "{name}={value} er uden for det tilladte område "
                                                                "[{lo}; {hi}]",
    "gain_min={lo} must be below gain_max={hi}": "gain_min={lo} skal være mindre end gain_max={hi}",
    "seq_len * batch_size * hidden_size = {work:,} exceeds the work cap {cap:,}; shorten the sequence or shrink the "
    "batch or hidden size":
        "seq_len * batch_size * hidden_size = {work:,} overstiger arbejdsloftet {cap:,}; forkort sekvensen, eller "
        "gør batchen eller den skjulte størrelse mindre",
}
# Said the same in Danish: symbols, names, and templates of fields only.
MESSAGES.update({phrase: phrase for phrase in (
    "{first}  \n{second}", "{activation}, {weights}, {sizes}", "LSTM, {forget}, {weights}, {sizes}",
    "GRU, {weights}, {sizes}", "{parts}.", "{head}, {body}", "{name}={value} {reason}",
    "γ·σ_max = {gamma:g}·{sigma:.3g} = {bound:.3g}", "Re λ", "Im λ", "log10", "λ_max", "γ·σ_max", "sd",
    "log10 ‖dL/dh‖", "log10 ‖h_t‖", "log10 ‖δ_t h_{t−1}ᵀ‖", "log10 σ", "exp(λ_max·(T−t)) (Lyapunov)", "GRU", "LSTM",
    "tanh", "sigmoid", "relu", "leaky_relu", "chrono", "rnn", "lstm", "gru", "lru", "glorot_normal", "glorot_uniform",
    "he_normal", "pytorch_default", "spectral_radius", "RNN", "W_hh", "Λ", "(1−α)·I + α·W_hh", "dh_T/dh_0",
    "max|λ|^(T-t)", "N = {N}, T = {T}", "T = {T}", "N = {N}",
    "{a}{b}", "{a}.", "{a} {b}", "{text} ({M})")})
