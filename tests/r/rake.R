# Checks `kvalitet survey weight` against R's survey::rake on generated respondents: the same
# files go to both, and every weight, the design effect and the effective n must agree to
# 1e-6. Also says how long each took (bench/weighting.sh repeats it at 100,000 respondents).
# Usage: Rscript tests/r/rake.R KVALITET_BINARY WORK_DIR [RESPONDENTS] [--cap K]
args <- commandArgs(trailingOnly = TRUE)
bin <- args[1]
dir <- args[2]
n <- if (length(args) >= 3) as.integer(args[3]) else 5000L
suppressPackageStartupMessages(library(survey))

set.seed(20261202)
# Four background variables, drawn so that they hang together (older respondents answer
# more, and more often in some areas), as a panel's respondents do.
age <- sample(c("16-29", "30-49", "50-64", "65+"), n, replace = TRUE,
              prob = c(0.10, 0.25, 0.30, 0.35))
older <- age %in% c("50-64", "65+")
sex <- ifelse(runif(n) < ifelse(older, 0.62, 0.52), "K", "M")
area <- ifelse(older,
               sample(c("Norr", "Söder", "Öster", "Väster", "Centrum"), n, replace = TRUE,
                      prob = c(0.30, 0.10, 0.20, 0.25, 0.15)),
               sample(c("Norr", "Söder", "Öster", "Väster", "Centrum"), n, replace = TRUE,
                      prob = c(0.15, 0.25, 0.20, 0.15, 0.25)))
edu <- sample(c("grund", "gymnasium", "eftergymnasial"), n, replace = TRUE,
              prob = c(0.15, 0.40, 0.45))
respondents <- data.frame(id = sprintf("r%06d", seq_len(n)), sex = sex, age = age,
                          area = area, edu = edu, stringsAsFactors = FALSE)
targets <- data.frame(
  variable = c(rep("sex", 2), rep("age", 4), rep("area", 5), rep("edu", 3)),
  level = c("K", "M", "16-29", "30-49", "50-64", "65+",
            "Norr", "Söder", "Öster", "Väster", "Centrum",
            "grund", "gymnasium", "eftergymnasial"),
  share = c(0.50, 0.50, 0.22, 0.32, 0.24, 0.22,
            0.20, 0.20, 0.20, 0.20, 0.20,
            0.20, 0.42, 0.38),
  stringsAsFactors = FALSE)
sample_csv <- file.path(dir, "sample.csv")
targets_csv <- file.path(dir, "targets.csv")
write.csv(respondents, sample_csv, row.names = FALSE, fileEncoding = "UTF-8")
write.csv(targets, targets_csv, row.names = FALSE, fileEncoding = "UTF-8")

weights_csv <- file.path(dir, "weights.csv")
summary_json <- file.path(dir, "summary.json")
ours_time <- system.time(status <- system2(
  bin, c("survey", "weight", "--sample", sample_csv, "--targets", targets_csv,
         "--tolerance", "1e-10"),
  stdout = weights_csv, stderr = summary_json))[["elapsed"]]
if (status != 0) {
  cat(readLines(summary_json), sep = "\n")
  stop("kvalitet survey weight failed with status ", status)
}
ours <- read.csv(weights_csv, stringsAsFactors = FALSE)
summary <- paste(readLines(summary_json), collapse = "")
field <- function(name) {
  as.numeric(sub(paste0('.*"', name, '":([-0-9.eE+]+).*'), "\\1", summary))
}

r_time <- system.time({
  respondents$w <- 1
  design <- svydesign(ids = ~1, weights = ~w, data = respondents)
  population <- lapply(c("sex", "age", "area", "edu"), function(v) {
    t <- targets[targets$variable == v, ]
    margin <- data.frame(t$level, t$share * n, stringsAsFactors = FALSE)
    names(margin) <- c(v, "Freq")
    margin
  })
  raked <- rake(design, list(~sex, ~age, ~area, ~edu), population,
                control = list(maxit = 1000, epsilon = 1e-9, verbose = FALSE))
  w <- as.numeric(weights(raked))
})[["elapsed"]]

mine <- ours$weight[match(respondents$id, ours$id)]
weight_diff <- max(abs(w - mine))
deff_r <- n * sum(w^2) / sum(w)^2
n_eff_r <- sum(w)^2 / sum(w^2)
deff_diff <- abs(deff_r - field("deff"))
n_eff_diff <- abs(n_eff_r - field("n_eff"))
cat(sprintf(paste0("respondents %d: largest weight difference %.2e, deff %.6f (R %.6f), ",
                   "n_eff %.3f (R %.3f); kvalitet %.3f s (reading, raking, writing), ",
                   "R survey::rake %.3f s (raking only)\n"),
            n, weight_diff, field("deff"), deff_r, field("n_eff"), n_eff_r,
            ours_time, r_time))
if (!(weight_diff <= 1e-6 && deff_diff <= 1e-6 && n_eff_diff <= 1e-6 * n)) {
  stop("kvalitet's weights differ from survey::rake's")
}
