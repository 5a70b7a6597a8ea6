"""Den guidede tur på dansk."""

TEXT = {
    "title": "Guidet tur: fra et MLP til forsvindende gradienter",
    "intro": "Turen følger artiklen, som laboratoriet udsprang af, trin for trin. Hver figur beregnes live af den "
             "samme motor som Explorer-siden; hvert trin har et link, der åbner Explorer med de tilsvarende "
             "indstillinger.",
    "language": "Sprog",
    "open": "Åbn i Explorer",
    "steps": [
        {
            "title": "1. Et MLP læser en sekvens ord for ord",
            "body": "Giv bogstaverne h, e, l, l ét ad gangen til et almindeligt netværk (et MLP): "
                    "h_t = tanh(W_xh·x_t + b). Det har ingen hukommelse. De to l'er er det samme input, så de giver "
                    "nøjagtig den samme skjulte tilstand — netværket kan ikke skelne det første l fra det andet.",
            "caption": "Skjulte tilstande for 'hell' med W_hh = 0: søjlerne for de to l'er er ens.",
        },
        {
            "title": "2. Delte vægte over tid giver en rekurrent neuron",
            "body": "Lad nu hvert trin også se den forrige tilstand, med de samme vægte i hvert trin: "
                    "h_t = tanh(W_hh·h_(t−1) + W_xh·x_t + b). Tilstanden bærer fortiden med sig, og de to l'er "
                    "er nu forskellige: det andet ved, at det kommer efter endnu et l.",
            "caption": "De samme bogstaver med W_hh trukket med gain 1: de to l-søjler er ikke længere ens.",
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
            "caption": "Tre skjulte enheder gennem de fire trin.",
        },
        {
            "title": "5. Backpropagation through time er et produkt af Jacobi-matricer",
            "body": "Gradienten af tabet i sidste trin med hensyn til en tidlig tilstand er "
                    "dL/dh_t = J_(t+1)ᵀ···J_Tᵀ·dL/dh_T, med J_s = diag(tanh'(a_s))·W_hh. Én faktor pr. trin "
                    "tilbage: normen af produktet afgør, hvor meget et tidligt trin kan lære.",
            "caption": "Gradientens norm i hvert trin af eksemplet, med Pascanu-grænsen (stiplet).",
        },
        {
            "title": "6. Forsvindende og eksploderende gradienter",
            "body": "Er faktorerne mindre end 1, skrumper produktet eksponentielt: gradienten forsvinder, og de "
                    "tidlige trin lærer intet. Er de større end 1, vokser det eksponentielt og eksploderer. "
                    "Pascanu, Mikolov & Bengio (2013): γ·σ_max(W_hh) < 1 garanterer, at gradienten forsvinder.",
            "caption": "Venstre: tanh med gain 0,5 (forsvindende). Højre: lineær med gain 1,3 (eksploderende).",
        },
        {
            "title": "7. Kurerne",
            "body": "**Ortogonal initialisering** holder alle singulærværdier af W_hh på 1, så gradienten beholder "
                    "sin norm i det lineære regime (venstre). **Gating** (LSTM, GRU) tilføjer en vej, hvor "
                    "tilstanden kopieres med en faktor nær 1 i stedet for at blive ganget med W_hh — ikke simuleret "
                    "her, hvor laboratoriet studerer det simple RNN. **Gradient clipping** skalerer en eksploderende "
                    "gradient ned til en maksimal norm før opdateringen (højre): det stopper eksplosionen, men "
                    "genskaber ikke det, der forsvandt.",
            "caption": "Venstre: ortogonal W_hh bevarer gradientens norm. Højre: normen af dL/dW_hh i det "
                       "eksploderende eksempel før og efter clipping til norm 1.",
            "before": "før clipping",
            "after": "efter clipping til 1",
        },
    ],
}
