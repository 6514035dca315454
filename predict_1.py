"""Print the digit in a picture, read by model 1.

    python predict_1.py samples/7.png          # -> 7
    python predict_1.py a.png b.png photos/    # -> PATH<TAB>DIGIT per picture
    python predict_1.py --help
"""
import predict

if __name__ == '__main__':
    predict.main(1)
