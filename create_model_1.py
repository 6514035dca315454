"""Train model 1, the beginners' tutorial softmax regression, and save it.

    python create_model_1.py              # about 92.7% on MNIST's test set, in seconds
    python create_model_1.py --evaluate   # test accuracy of the saved model
"""
from digits import train_cli

DEFAULTS = dict(epochs=5, batch_size=100, learning_rate=0.01, warmup=0.0)

if __name__ == '__main__':
    train_cli.main(1, DEFAULTS)
